"""Hybrid retrieval: metadata and scores, filters, name variants, cross-lingual, BM25 persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag
from rag.config import BUNDLED_E5, BUNDLED_MODEL
from rag.evaluation import index_squad, ranking_metrics, read_dataset
from rag.language import content_words
from rag.lexical import (
    BM25_B,
    BM25_K1,
    DOCUMENT_VIEWS,
    LEXICAL_RADIUS,
    LexicalIndex,
    lexical_windows,
    query_views,
    window_text,
)
from rag.retrieval import CROSS_LANGUAGE, MODEL_FUSION, SAME_LANGUAGE, FusionWeights, HybridRetriever, fuse
from rag.store import open_store
from tests.conftest import SHARED_EVAL

FOX = "fox-news-putin-witkoff-kushner.txt"
KREMLIN = "2025-12-03-putin-witkoff-cremlino.txt"


def test_documents_carry_chunk_metadata_and_scores(shared_store: rag.Settings) -> None:
    docs = rag.build_retriever(shared_store).invoke("Ushakov territori")
    assert len(docs) == shared_store.k
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    for doc in docs:
        assert {"source", "title", "lang", "chunk_id", "start", "end", "score"} <= doc.metadata.keys()
        assert Path(doc.metadata["source"]).read_text()[doc.metadata["start"] : doc.metadata["end"]] == doc.page_content


def test_each_model_has_its_fusion_weights_and_a_retriever_may_override_them(shared_store: rag.Settings) -> None:
    retriever = rag.build_retriever(shared_store)
    assert shared_store.embedding_model == BUNDLED_E5 and retriever.weights() == MODEL_FUSION[BUNDLED_E5]
    minilm = HybridRetriever(store=open_store(shared_store.model_copy(update={"embedding_model": BUNDLED_MODEL})))
    assert minilm.weights() == (SAME_LANGUAGE, CROSS_LANGUAGE)  # any model without its own
    dense_only = FusionWeights(dense=1.0, words=0.0, grams=0.0, names=0.0)
    assert HybridRetriever(store=retriever.store, same_language=dense_only).weights()[0] == dense_only

    # `search` ranks by `fuse` over `signals`: what the tuning script reproduces.
    found = retriever.signals("Ushakov territori", 50)
    assert found is not None
    fused = fuse(found, *retriever.weights())
    top = [found.ids[i] for i in fused.argsort()[::-1][:6]]
    assert [doc.metadata["id"] for doc, _ in retriever.search("Ushakov territori", k=6)] == top


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Who is Kirill Dmitriev?", "Fondo Russo per gli Investimenti Diretti"),
        ("Chi è Rustem Umerov?", "Rustem Umerov"),
        ("What did Zelensky say about Brussels?", "Dopo Bruxelles"),  # the article spells Zelenskyj
        ("Did the US envoys confirm a trip to Kyiv?", "viaggio a Kiev"),  # the article spells Kiev
    ],
)
def test_relevant_passage_in_top_three(shared_store: rag.Settings, query: str, expected: str) -> None:
    docs = rag.build_retriever(shared_store).invoke(query, k=3)
    assert any(expected.casefold() in d.page_content.casefold() for d in docs), [d.page_content[:60] for d in docs]


def test_filter_by_source(shared_store: rag.Settings) -> None:
    retriever = rag.build_retriever(shared_store)
    fox = next(a.source for a in rag.index_status(shared_store).articles if a.source.endswith(FOX))
    docs = retriever.invoke("Ushakov", sources=[fox], k=10)
    assert docs and {d.metadata["source"] for d in docs} == {fox}


def test_filter_by_date_range(shared_store: rag.Settings) -> None:
    retriever = rag.build_retriever(shared_store)
    dated = retriever.invoke("Ushakov territori", date_from="2025-12-01", date_to="2025-12-31", k=10)
    assert dated and all(d.metadata["source"].endswith(KREMLIN) for d in dated)
    assert retriever.invoke("Ushakov", date_from="2026-01-01") == []


def test_bm25_index_is_persisted_and_rebuilt_when_stale(settings: rag.Settings, corpus_dir: Path) -> None:
    rag.ingest([corpus_dir], settings)
    retriever = rag.build_retriever(settings)
    assert (retriever.store.lexical_folder / "generation").read_text() == retriever.store.generation()
    before = len(retriever.store.lexical_index().ids)

    extra = corpus_dir / "nuovo.txt"
    extra.write_text("Il ministro Tajani ha incontrato Rubio a Roma per parlare di dazi.\n", encoding="utf-8")
    rag.ingest([corpus_dir], settings)

    # The same retriever's store notices the new generation and reloads.
    assert len(retriever.store.lexical_index().ids) == before + 1
    assert "Tajani" in retriever.invoke("Tajani Rubio dazi", k=1)[0].page_content


@pytest.mark.slow
def test_fusion_beats_each_part_alone(tmp_path: Path) -> None:
    """On 300 SQuAD-it paragraphs: the fused ranking beats dense-only and BM25-only rankings."""
    data = read_dataset(SHARED_EVAL / "squad_it_dev.json.gz")
    small = {"data": [{"title": a["title"], "paragraphs": a["paragraphs"][:25]} for a in data["data"][:12]]}
    indexed = index_squad(small, rag.Settings(persist_dir=tmp_path / "store", progress=False))
    questions = indexed.questions[:400]

    def recall_at_5(weights: FusionWeights | None) -> float:
        chosen = {} if weights is None else {"same_language": weights, "cross_language": weights}
        return ranking_metrics(HybridRetriever(store=indexed.store, **chosen), questions)["recall@5"]

    fused = recall_at_5(None)
    dense_only = recall_at_5(FusionWeights(dense=1.0, words=0.0, grams=0.0, names=0.0))
    bm25_only = recall_at_5(FusionWeights(dense=0.0, words=1.0, grams=0.0, names=0.0))
    assert fused > dense_only and fused > bm25_only, (fused, dense_only, bm25_only)


def test_lexical_index_scores_like_bm25s_over_token_strings() -> None:
    # The index is built from token ids, one view at a time, to bound memory; scores must not move.
    import bm25s
    import numpy as np

    texts = [
        "Ushakov ha parlato dei territori con Witkoff a Mosca.",
        "Zelensky incontra Kushner a Kyiv.",
        "Il Cremlino non commenta.",
        "I territori del Donbass restano contesi secondo Ushakov.",
    ]
    metadatas = [{"source": f"s{i}", "lang": "it", "start": 0, "end": len(t)} for i, t in enumerate(texts)]
    index = LexicalIndex.build([f"s{i}" for i in range(len(texts))], texts, metadatas)
    query = query_views("Che cosa ha detto Ushakov sui territori del Donbass a Kiev?", ("it",))
    for view, tokenize in DOCUMENT_VIEWS.items():
        reference = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        reference.index([tokenize(t, "it", content_words(t, "it")) for t in texts], show_progress=False)
        known = [t for t in query[view] if t in reference.vocab_dict]
        assert known, view
        assert np.allclose(index.indexes[view].get_scores(known), reference.get_scores(known)), view


def test_overlapping_chunks_are_indexed_as_the_text_of_their_windows() -> None:
    # Chunks of one paragraph overlap by a sentence; a window reads each shared sentence once,
    # and its tokens (read part by part) are those of its joined text.
    import bm25s
    import numpy as np

    sentences = [
        "Ushakov ha parlato dei territori.",
        "Witkoff ha incontrato Putin a Mosca.",
        "Il Cremlino non commenta.",
        "I territori del Donbass restano contesi.",
        "Zelensky incontra Kushner a Kyiv.",
    ]
    paragraph = " ".join(sentences)
    starts = [paragraph.index(sentence) for sentence in sentences]
    spans = [(starts[i], starts[i + 2] - 1 if i + 2 < len(starts) else len(paragraph)) for i in range(4)]
    texts = [paragraph[a:b] for a, b in spans]
    metadatas = [
        {"source": "a", "lang": "it", "start": a, "end": b, "para_start": 0, "para_end": len(paragraph)}
        for a, b in spans
    ]
    windows = lexical_windows(texts, metadatas, LEXICAL_RADIUS)
    assert any(offset > 0 for parts in windows for _, offset in parts)  # a part starts past a shared sentence
    assert " ".join(window_text(texts, windows[0]).split()) == paragraph[: spans[2][1]]
    index = LexicalIndex.build([f"c{i}" for i in range(len(texts))], texts, metadatas)
    query = query_views("Che cosa ha detto Ushakov sui territori del Donbass a Mosca?", ("it",))
    for view, tokenize in DOCUMENT_VIEWS.items():
        joined = [window_text(texts, parts) for parts in windows]
        reference = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        reference.index([tokenize(w, "it", content_words(w, "it")) for w in joined], show_progress=False)
        known = [t for t in query[view] if t in reference.vocab_dict]
        assert known, view
        assert np.allclose(index.indexes[view].get_scores(known), reference.get_scores(known)), view
