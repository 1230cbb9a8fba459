"""Retrieval: dense search in Chroma fused with BM25 over four token views of every chunk.

`HybridRetriever` is a LangChain `BaseRetriever`. For each question it takes candidates from
Chroma's vector search and from the store's lexical index (`rag.lexical`: BM25 over stemmed
words, character 4-grams, name skeletons and stem bigrams), scores every candidate on all five
signals, normalises each signal over the candidates and mixes them with weights that depend on
whether the question's language is the passage's: lexical evidence is strong within a language,
dense and character-level evidence carry across languages. Captions rank below body text.

Usage:
    >>> retriever = build_retriever(Settings(k=4))  # doctest: +SKIP
    >>> docs = retriever.invoke("What did Ushakov say about territory?", date_from="2025-12-01")
    >>> docs[0].metadata["source"], docs[0].metadata["score"]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.config import BUNDLED_E5, Settings
from rag.dates import Period, date_number
from rag.language import detect_language
from rag.lexical import VIEWS, query_views
from rag.store import ArticleStore, open_store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionWeights:
    dense: float
    words: float
    grams: float
    names: float
    bigrams: float = 0.0


# Tuned on the SQuAD-it dev questions and checked on two disjoint halves of its articles
# (docs/retrieval.md): within a language stems and character n-grams carry the match together,
# and stem bigrams add a little for kept phrases; across languages stems rarely match (bigrams
# even less), so the dense model and n-grams (cognates) carry it.
SAME_LANGUAGE = FusionWeights(dense=0.2, words=0.3, grams=0.35, names=0.05, bigrams=0.1)
CROSS_LANGUAGE = FusionWeights(dense=0.5, words=0.05, grams=0.4, names=0.05)
# multilingual-e5-small carries more of the match than MiniLM, so it earns more of the mix;
# chosen on both SQuAD-it article halves by benchmarks/fusion_tuning.py (docs/retrieval.md,
# "Sixth round").
E5_SAME_LANGUAGE = FusionWeights(dense=0.6, words=0.1, grams=0.15, names=0.0, bigrams=0.15)
E5_CROSS_LANGUAGE = FusionWeights(dense=0.7, words=0.25, grams=0.0, names=0.0, bigrams=0.05)
MODEL_FUSION = {BUNDLED_E5: (E5_SAME_LANGUAGE, E5_CROSS_LANGUAGE)}
CAPTION_FACTOR = 0.85
# Added to the fused score (0..1) of a passage published within a period the question names:
# a soft preference, not a filter (docs/retrieval.md, "Dates in questions").
DATE_BOOST = 0.15
CANDIDATES = 50


def fusion_weights(model: str) -> tuple[FusionWeights, FusionWeights]:
    """Same-language and cross-language weights for an embedding model (MiniLM's for any other)."""
    return MODEL_FUSION.get(model, (SAME_LANGUAGE, CROSS_LANGUAGE))


def chroma_where(sources: list[str] | None, date_from: str | None, date_to: str | None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if sources:
        clauses.append({"source": {"$in": list(sources)}})
    if date_from:
        clauses.append({"date_num": {"$gte": date_number(date_from)}})
    if date_to:
        clauses.append({"date_num": {"$lte": date_number(date_to)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _passes(meta: dict[str, Any], sources: list[str] | None, date_from: str | None, date_to: str | None) -> bool:
    if sources and meta.get("source") not in sources:
        return False
    if date_from or date_to:
        number = meta.get("date_num")
        if number is None:
            return False
        if date_from and number < date_number(date_from):
            return False
        if date_to and number > date_number(date_to):
            return False
    return True


def _normalise(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    low = float(values.min()) if values.size else 0.0
    if top - low <= 1e-9:
        return np.zeros_like(values) if top <= 0 else np.ones_like(values)
    return (values - low) / (top - low)


class HybridRetriever(BaseRetriever):
    """Dense + BM25 retrieval over the article store; filters by source and date range.

    Extra keyword arguments of `invoke` (`sources`, `date_from`, `date_to`, `k`) override the
    retriever's own for one call.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ArticleStore
    k: int = 6
    sources: list[str] | None = None
    date_from: str | None = None
    date_to: str | None = None
    same_language: FusionWeights | None = None  # default: the store's model's (`fusion_weights`)
    cross_language: FusionWeights | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.search(query, **kwargs)]

    def search(
        self,
        query: str,
        k: int | None = None,
        sources: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        query_lang: str | None = None,
        query_vector: np.ndarray | None = None,
        periods: tuple[Period, ...] = (),
    ) -> list[tuple[Document, float]]:
        """Top `k` chunks with their fused scores, best first.

        :param query_vector: the query's embedding, when already computed.
        :param periods: dates the question names; passages published then score `DATE_BOOST` more.
        """
        k = k or self.k
        found = self.signals(
            query,
            max(CANDIDATES, 3 * k),
            sources if sources is not None else self.sources,
            date_from or self.date_from,
            date_to or self.date_to,
            query_lang,
            query_vector,
        )
        if found is None:
            return []
        fused = fuse(found, *self.weights(), periods)
        results = []
        for i in np.argsort(-fused)[:k]:
            meta = {
                **found.metadatas[i],
                "id": found.ids[i],
                "score": float(fused[i]),
                "dense_score": found.dense[i],
                "bm25_score": found.bm25[i],
            }
            doc = Document(page_content=found.texts[i], metadata=meta, id=found.ids[i])
            results.append((doc, float(fused[i])))
        return results

    def weights(self) -> tuple[FusionWeights, FusionWeights]:
        """Fusion weights for passages in the question's language and in another."""
        same, cross = fusion_weights(self.store.settings.embedding_model)
        return self.same_language or same, self.cross_language or cross

    def signals(
        self,
        query: str,
        pool: int,
        sources: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        query_lang: str | None = None,
        query_vector: np.ndarray | None = None,
    ) -> Signals | None:
        """The candidate chunks of `query` (up to `pool` per signal) with each signal normalised
        over them; None when nothing is indexed or nothing passes the filters."""
        lexical = self.store.lexical_index()
        if not lexical.ids:
            return None
        query_lang = query_lang or detect_language(query)
        langs = tuple(dict.fromkeys((query_lang, *lexical.languages)))
        lexical_scores = lexical.scores(query_views(query, langs))

        filtered = bool(sources or date_from or date_to)
        # The per-chunk filter check is a Python loop: skip it on the common unfiltered path.
        allowed = (
            np.array([_passes(m, sources, date_from, date_to) for m in lexical.metadatas], dtype=bool)
            if filtered
            else np.ones(len(lexical.ids), dtype=bool)
        )
        candidates: dict[str, None] = {}
        for view in VIEWS:
            scores = np.where(allowed, lexical_scores[view], -1.0)
            top = np.argsort(-scores)[:pool]
            candidates.update((lexical.ids[i], None) for i in top if scores[i] > 0)

        if query_vector is None:
            query_vector = self.store.embeddings.encode_cached([query], query=True)[0]
        where = chroma_where(sources, date_from, date_to)
        passages = self._passages(query_vector, min(pool, len(lexical.ids)), where, candidates)
        ordered = [c for c in dict.fromkeys([*candidates, *passages]) if c in passages and c in lexical.position]
        if not ordered:
            return None
        rows = np.array([lexical.position[c] for c in ordered])
        dense = [passages[c].dense for c in ordered]
        return Signals(
            query_lang=query_lang,
            ids=ordered,
            texts=[passages[c].text for c in ordered],
            metadatas=[passages[c].metadata for c in ordered],
            dense=dense,
            bm25=[float(v) for v in lexical_scores["words"][rows]],
            signals={
                "dense": _normalise(np.array(dense, dtype=np.float32)),
                **{view: _normalise(lexical_scores[view][rows].astype(np.float32)) for view in VIEWS},
            },
        )

    def _passages(
        self, query_vector: np.ndarray, pool: int, where: dict[str, Any] | None, lexical_ids: dict[str, None]
    ) -> dict[str, _Passage]:
        """Chroma's nearest chunks plus the lexical candidates, each with its dense similarity."""
        collection = self.store.collection()
        found = collection.query(
            query_embeddings=[query_vector.tolist()],
            n_results=pool,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        # One query was asked, so each field holds one list (Chroma types them as optional).
        passages = {
            chunk_id: _Passage(text, dict(meta or {}), 1.0 - float(distance))
            for chunk_id, text, meta, distance in zip(
                found["ids"][0],
                (found["documents"] or [[]])[0],
                (found["metadatas"] or [[]])[0],
                (found["distances"] or [[]])[0],
                strict=True,
            )
        }
        missing = [c for c in lexical_ids if c not in passages]
        if missing:
            # Lexical candidates the vector search did not return still get a true dense score.
            extra = collection.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            vectors = extra["embeddings"] if extra["embeddings"] is not None else []
            for chunk_id, text, meta, vector in zip(
                extra["ids"],
                extra["documents"] or [],
                extra["metadatas"] or [],
                vectors,
                strict=True,
            ):
                similarity = float(np.dot(np.asarray(vector, dtype=np.float32), query_vector))
                passages[chunk_id] = _Passage(text, dict(meta or {}), similarity)
        return passages


@dataclass(frozen=True)
class Signals:
    """A query's candidate chunks, row by row, with each retrieval signal normalised over them."""

    query_lang: str
    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    dense: list[float]  # raw cosine similarities
    bm25: list[float]  # raw BM25 of the stemmed-words view
    signals: dict[str, np.ndarray]  # "dense" and each lexical view, 0..1


def fuse(
    found: Signals, same_language: FusionWeights, cross_language: FusionWeights, periods: tuple[Period, ...] = ()
) -> np.ndarray:
    """Each candidate's fused score: its signals weighted by whether it is in the question's
    language, captions lowered, passages published in a period the question names raised."""
    fused = np.zeros(len(found.ids), dtype=np.float32)
    for i, meta in enumerate(found.metadatas):
        weights = same_language if meta.get("lang") == found.query_lang else cross_language
        score = sum(getattr(weights, name) * float(values[i]) for name, values in found.signals.items())
        if meta.get("kind") == "caption":
            score *= CAPTION_FACTOR
        if periods and any(period.holds(meta.get("date_num")) for period in periods):
            score += DATE_BOOST
        fused[i] = score
    return fused


@dataclass(frozen=True)
class _Passage:
    text: str
    metadata: dict[str, Any]
    dense: float


def build_retriever(settings: Settings | None = None) -> HybridRetriever:
    """The hybrid retriever over the configured store; fails with a hint if nothing is indexed."""
    settings = settings or Settings()
    store = open_store(settings)
    store.collection()  # raises IndexMissingError / EmbeddingModelMismatchError early
    return HybridRetriever(store=store, k=settings.k)
