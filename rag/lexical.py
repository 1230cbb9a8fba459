"""The lexical index: BM25 (bm25s) over four token views of every chunk's neighbourhood.

Views (see `rag.language`): stemmed words, character 4-grams, name skeletons and stem bigrams.
BM25 sees each chunk with its neighbours (`LEXICAL_RADIUS` chunks either side, within its
paragraph): a question's words are often spread over the sentences around the answer, and a
window that wide still leaves the dense score, computed on the chunk alone, to decide which chunk
of the passage ranks first.

The store (`rag.store.ArticleStore.lexical_index`) owns the saved index: it loads it, rebuilds it
when the collection's generation changes, and publishes it after an ingest.

Usage:
    >>> index = LexicalIndex.build(ids, texts, metadatas)  # doctest: +SKIP
    >>> index.scores(query_views("Ushakov territori", ("it",)))["words"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from filelock import FileLock

from rag.dates import date_of
from rag.language import (
    char_grams,
    char_grams_of,
    content_words,
    name_keys,
    stem_bigrams,
    stem_bigrams_of,
    stems,
    stems_of,
)

logger = logging.getLogger(__name__)

LEXICAL_RADIUS = 2
# Lucene's default saturation: a term repeated across a window of several chunks should not
# count as much as it would with bm25s's 1.5.
BM25_K1 = 1.2
BM25_B = 0.75
# Bumped whenever what BM25 indexes changes, so a saved index of an older layout is rebuilt.
LEXICAL_FORMAT = 7


# The token lists BM25 indexes for one chunk, by view, from its text, its language and its
# content words (`content_words`, read once for the three views that start from them).
DOCUMENT_VIEWS: dict[str, Callable[[str, str, list[str]], list[str]]] = {
    "words": lambda text, lang, content: stems_of(content, (lang,)),
    "grams": lambda text, lang, content: char_grams_of(content),
    "names": lambda text, lang, content: name_keys(text, lang),
    "bigrams": lambda text, lang, content: stem_bigrams_of(content, lang),
}
VIEWS = tuple(DOCUMENT_VIEWS)


def query_views(question: str, langs: tuple[str, ...]) -> dict[str, list[str]]:
    """The question's tokens for each view; `langs[0]` is the question's language, the rest the corpus's."""
    # Bigrams pair stems of one language at a time: mixing stemmers would pair unrelated variants.
    bigrams = list(dict.fromkeys(b for lang in langs for b in stem_bigrams(question, langs[0], lang)))
    return {
        "words": stems(question, langs),
        "grams": char_grams(question, langs[0]),
        "names": name_keys(question, langs[0]),
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
        newest = max((m["date_num"] for m in metadatas if isinstance(m.get("date_num"), int)), default=None)
        # What "last week" is relative to, in an archive: the newest article's date.
        self.newest_date = date_of(newest) if newest else None

    @classmethod
    def build(cls, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> LexicalIndex:
        windows = lexical_windows(texts, metadatas, LEXICAL_RADIUS)
        langs = [str(meta.get("lang", "")) for meta in metadatas]
        # A chunk's text (or what is left of it past its predecessor) is a part of up to five
        # windows: its content words are read once, not once per window and view. On the 120
        # news articles this took the build from 1.2 s to 0.6 s.
        content: dict[tuple[int, int], list[str]] = {}

        def window_content(parts: list[tuple[int, int]]) -> list[str]:
            found: list[str] = []
            for part in parts:
                if part not in content:
                    chunk, offset = part
                    content[part] = content_words(texts[chunk][offset:], langs[chunk])
                found.extend(content[part])
            return found

        indexes = {}
        # One view at a time, kept as token ids: the token strings of all four views at once
        # were most of the 4.4 GB that building 100k chunks peaked at.
        for view, tokenize in DOCUMENT_VIEWS.items():
            vocab: dict[str, int] = {}
            corpus = [
                [
                    vocab.setdefault(t, len(vocab))
                    for t in tokenize(window_text(texts, parts), lang, window_content(parts))
                ]
                for parts, lang in zip(windows, langs, strict=True)
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


def window_text(texts: list[str], parts: list[tuple[int, int]]) -> str:
    """The text of a lexical window from its parts, `(chunk, offset)`: `texts[chunk][offset:]`."""
    return " ".join(texts[chunk][offset:] for chunk, offset in parts)


def lexical_windows(texts: list[str], metadatas: list[dict[str, Any]], radius: int) -> list[list[tuple[int, int]]]:
    """Each chunk's text joined with up to `radius` neighbouring chunks of its paragraph, as the
    parts `(chunk, offset)` that `window_text` joins.

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
    windows: list[list[tuple[int, int]]] = [[] for _ in texts]
    for members in by_source.values():
        members.sort(key=lambda i: (int(metadatas[i].get("start", 0)), int(metadatas[i].get("end", 0))))
        for position, i in enumerate(members):
            para_start = int(metadatas[i].get("para_start", 0))
            para_end = int(metadatas[i].get("para_end", 1 << 62))
            covered = -1
            for j in members[max(0, position - radius) : position + radius + 1]:
                start, end = int(metadatas[j].get("start", 0)), int(metadatas[j].get("end", 0))
                if end <= covered or end <= para_start or start >= para_end:
                    continue
                # Drop the characters an earlier chunk of the window already contributed.
                windows[i].append((j, max(0, covered - start)))
                covered = end
    return windows
