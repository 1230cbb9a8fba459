"""Retrieval: dense search in Chroma fused with BM25 over four token views of every chunk.

`HybridRetriever` is a LangChain `BaseRetriever`. For each question it takes candidates from
Chroma's vector search and from BM25 over stemmed words, character 4-grams, name skeletons and
stem bigrams (see `rag.language`), scores every candidate on all five signals, normalises each signal over the
candidates and mixes them with weights that depend on whether the question's language is the
passage's: lexical evidence is strong within a language, dense and character-level evidence
carry across languages. Captions rank below body text.

BM25 sees each chunk with its neighbours (`LEXICAL_RADIUS` chunks either side): a question's words
are often spread over the sentences around the answer, and a window that wide still leaves the
dense score, computed on the chunk alone, to decide which chunk of the passage ranks first.

The BM25 index is persisted beside the store and rebuilt when the store's generation changes.

Usage:
    >>> retriever = build_retriever(Settings(k=4))  # doctest: +SKIP
    >>> docs = retriever.invoke("What did Ushakov say about territory?", date_from="2025-12-01")
    >>> docs[0].metadata["source"], docs[0].metadata["score"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from filelock import FileLock
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from rag.config import Settings
from rag.language import char_grams, detect_language, name_keys, stem_bigrams, stems
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
CAPTION_FACTOR = 0.85
CANDIDATES = 50
LEXICAL_RADIUS = 2
# Lucene's default saturation: a term repeated across a window of several chunks should not
# count as much as it would with bm25s's 1.5.
BM25_K1 = 1.2
BM25_B = 0.75
# Bumped whenever what BM25 indexes changes, so a saved index of an older layout is rebuilt.
LEXICAL_FORMAT = 5


# The token lists BM25 indexes for one chunk, by view.
DOCUMENT_VIEWS: dict[str, Callable[[str, str], list[str]]] = {
    "words": lambda text, lang: stems(text, (lang,)),
    "grams": lambda text, lang: char_grams(text),
    "names": lambda text, lang: name_keys(text),
    "bigrams": stem_bigrams,
}
VIEWS = tuple(DOCUMENT_VIEWS)


def query_views(question: str, langs: tuple[str, ...]) -> dict[str, list[str]]:
    # Bigrams pair stems of one language at a time: mixing stemmers would pair unrelated variants.
    bigrams = list(dict.fromkeys(b for lang in langs for b in stem_bigrams(question, lang)))
    return {
        "words": stems(question, langs),
        "grams": char_grams(question),
        "names": name_keys(question),
        "bigrams": bigrams,
    }


class LexicalIndex:
    """BM25 (bm25s) over each token view of every chunk's lexical window, with the chunk ids and metadata."""

    def __init__(self, ids: list[str], metadatas: list[dict[str, Any]], indexes: dict[str, bm25s.BM25]) -> None:
        self.ids = ids
        self.metadatas = metadatas
        self.indexes = indexes
        self.position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self.languages = tuple(sorted({str(m.get("lang", "")) for m in metadatas if m.get("lang")}))

    @classmethod
    def build(cls, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> LexicalIndex:
        windows = lexical_windows(texts, metadatas, LEXICAL_RADIUS)
        langs = [str(meta.get("lang", "en")) for meta in metadatas]
        indexes = {}
        # One view at a time, kept as token ids: the token strings of all four views at once
        # were most of the 4.4 GB that building 100k chunks peaked at.
        for view, tokenize in DOCUMENT_VIEWS.items():
            vocab: dict[str, int] = {}
            corpus = [
                [vocab.setdefault(t, len(vocab)) for t in tokenize(w, lang)]
                for w, lang in zip(windows, langs, strict=True)
            ]
            if not vocab:
                continue  # bm25s cannot index an empty vocabulary (e.g. no names in any chunk)
            index = bm25s.BM25(k1=BM25_K1, b=BM25_B)
            index.index((corpus, vocab), show_progress=False)
            indexes[view] = index
        return cls(ids, metadatas, indexes)

    def save(self, folder: Path, generation: str) -> None:
        """Write beside `folder`, then swap it in; a writer and a reader rebuilding a stale index
        may both save, so the swap is serialised by a file lock (across processes too)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder.with_suffix(".lock"))):
            self._save(folder, generation)

    def _save(self, folder: Path, generation: str) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for view, index in self.indexes.items():
            index.save(str(tmp / view), show_progress=False)
        chunks = {"format": LEXICAL_FORMAT, "ids": self.ids, "metadatas": self.metadatas, "views": list(self.indexes)}
        (tmp / "chunks.json").write_text(json.dumps(chunks), encoding="utf-8")
        (tmp / "generation").write_text(generation, encoding="utf-8")
        # Swap in whole so a reader never sees half an index.
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, generation: str) -> LexicalIndex | None:
        """The saved index if it was built from `generation`, else None."""
        try:
            if (folder / "generation").read_text(encoding="utf-8") != generation:
                return None
            chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
            if chunks.get("format") != LEXICAL_FORMAT:
                return None
            indexes = {view: bm25s.BM25.load(str(folder / view), show_progress=False) for view in chunks["views"]}
        except (OSError, ValueError) as exc:
            logger.info("BM25 index at %s unusable (%s); rebuilding", folder, exc)
            return None
        return cls(chunks["ids"], chunks["metadatas"], indexes)

    def scores(self, views: dict[str, list[str]]) -> dict[str, np.ndarray]:
        """BM25 score of every chunk for each view of the question."""
        out = {}
        for view in VIEWS:
            index = self.indexes.get(view)
            known = [t for t in views[view] if t in index.vocab_dict] if index else []
            out[view] = index.get_scores(known) if index and known else np.zeros(len(self.ids), dtype=np.float32)
        return out


def lexical_windows(texts: list[str], metadatas: list[dict[str, Any]], radius: int) -> list[str]:
    """Each chunk's text joined with up to `radius` neighbouring chunks of its paragraph.

    A paragraph (`para_start`/`para_end`, text between line breaks) is a topical unit: in a
    one-paragraph document the window is the passage around the answer, in a news article it
    stays with the chunk's own paragraph. Neighbours are ordered by their offsets; the sentences
    that overlapping chunks share are kept once, so the window reads as the passage it came from.
    """
    by_source: dict[str, list[int]] = {}
    for i, meta in enumerate(metadatas):
        # A chunk without offsets cannot be placed among its neighbours: it stands alone.
        key = str(meta.get("source", "")) if "start" in meta and "end" in meta else f"#{i}"
        by_source.setdefault(key, []).append(i)
    windows = [""] * len(texts)
    for members in by_source.values():
        members.sort(key=lambda i: (int(metadatas[i].get("start", 0)), int(metadatas[i].get("end", 0))))
        for position, i in enumerate(members):
            para_start = int(metadatas[i].get("para_start", 0))
            para_end = int(metadatas[i].get("para_end", 1 << 62))
            parts: list[str] = []
            covered = -1
            for j in members[max(0, position - radius) : position + radius + 1]:
                start, end = int(metadatas[j].get("start", 0)), int(metadatas[j].get("end", 0))
                if end <= covered or end <= para_start or start >= para_end:
                    continue
                # Drop the characters an earlier chunk of the window already contributed.
                parts.append(texts[j][max(0, covered - start) :])
                covered = end
            windows[i] = " ".join(parts)
    return windows


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


def date_number(date: str) -> int:
    """'2025-12-03' -> 20251203, because Chroma compares numbers only."""
    return int(date[:10].replace("-", ""))


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
    same_language: FusionWeights = SAME_LANGUAGE
    cross_language: FusionWeights = CROSS_LANGUAGE

    _lexical: LexicalIndex | None = PrivateAttr(default=None)
    _generation: str | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def index_folder(self) -> Path:
        return self.store.settings.persist_dir / "bm25" / self.store.settings.collection

    def lexical_index(self) -> LexicalIndex:
        """The BM25 index of the store's current generation: loaded, or rebuilt when stale."""
        generation = self.store.generation()
        with self._lock:
            if self._lexical is None or self._generation != generation:
                index = LexicalIndex.load(self.index_folder, generation)
                if index is None:
                    index = self.rebuild_lexical_index(generation)
                self._lexical, self._generation = index, generation
            return self._lexical

    def rebuild_lexical_index(self, generation: str) -> LexicalIndex:
        ids, texts, metadatas = self.store.all_chunks()
        logger.info("building BM25 index over %d chunks", len(ids))
        index = LexicalIndex.build(ids, texts, metadatas)
        index.save(self.index_folder, generation)
        return index

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
    ) -> list[tuple[Document, float]]:
        """Top `k` chunks with their fused scores, best first (`query_vector`: precomputed embedding)."""
        k = k or self.k
        sources = sources if sources is not None else self.sources
        date_from = date_from or self.date_from
        date_to = date_to or self.date_to
        lexical = self.lexical_index()
        if not lexical.ids:
            return []
        query_lang = query_lang or detect_language(query)
        langs = tuple(dict.fromkeys((query_lang, *lexical.languages)))
        lexical_scores = lexical.scores(query_views(query, langs))
        pool = max(CANDIDATES, 3 * k)

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
            query_vector = self.store.embeddings.encode_cached([query])[0]
        where = chroma_where(sources, date_from, date_to)
        passages = self._passages(query_vector, min(pool, len(lexical.ids)), where, candidates)
        ordered = [c for c in dict.fromkeys([*candidates, *passages]) if c in passages and c in lexical.position]
        if not ordered:
            return []
        rows = np.array([lexical.position[c] for c in ordered])
        signals = {
            "dense": _normalise(np.array([passages[c].dense for c in ordered], dtype=np.float32)),
            **{view: _normalise(lexical_scores[view][rows].astype(np.float32)) for view in VIEWS},
        }
        fused = np.zeros(len(ordered), dtype=np.float32)
        for i, chunk_id in enumerate(ordered):
            meta = passages[chunk_id].metadata
            weights = self.same_language if meta.get("lang") == query_lang else self.cross_language
            score = sum(getattr(weights, name) * float(signals[name][i]) for name in signals)
            if meta.get("kind") == "caption":
                score *= CAPTION_FACTOR
            fused[i] = score
        results = []
        for i in np.argsort(-fused)[:k]:
            chunk_id, passage = ordered[i], passages[ordered[i]]
            meta = {
                **passage.metadata,
                "id": chunk_id,
                "score": float(fused[i]),
                "dense_score": passage.dense,
                "bm25_score": float(lexical_scores["words"][lexical.position[chunk_id]]),
            }
            results.append((Document(page_content=passage.text, metadata=meta, id=chunk_id), float(fused[i])))
        return results

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
        passages = {
            chunk_id: _Passage(text, dict(meta or {}), 1.0 - float(distance))
            for chunk_id, text, meta, distance in zip(
                found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
            )
        }
        missing = [c for c in lexical_ids if c not in passages]
        if missing:
            # Lexical candidates the vector search did not return still get a true dense score.
            extra = collection.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            for chunk_id, text, meta, vector in zip(
                extra["ids"], extra["documents"], extra["metadatas"], extra["embeddings"], strict=True
            ):
                similarity = float(np.dot(np.asarray(vector, dtype=np.float32), query_vector))
                passages[chunk_id] = _Passage(text, dict(meta or {}), similarity)
        return passages


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
