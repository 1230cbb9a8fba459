"""Near-duplicate articles: the same wire story carried by several outlets is indexed once.

Each indexed article's body (title left out: outlets rewrite headlines) is summarised by a MinHash
of its word 3-grams (datasketch); an LSH index over those finds, for a new article, the indexed
ones whose estimated Jaccard similarity reaches `DUPLICATE_THRESHOLD`. A match is recorded as a
copy of the article already indexed, not embedded again, and a citation of the story names the
outlets of its copies. Signatures and copies live in `duplicates-<collection>.sqlite` in the
persist folder.

Usage:
    >>> duplicates = DuplicateIndex(Path(".rag/duplicates.sqlite"))  # doctest: +SKIP
    >>> duplicates.original_of(doc)  # doctest: +SKIP
    '/news/reuters-story.html'
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from rag.loading import LoadedDocument

logger = logging.getLogger(__name__)

# docs/duplicates.md, "Threshold": on pairs built from the 120 news articles, precision 1.000 and
# recall 0.992 through the index; 0.24 above the most similar distinct articles (0.156).
DUPLICATE_THRESHOLD = 0.4
# Outlets carry a wire story within days; articles further apart that read alike (a quarterly
# results template, a yearly event) are different stories.
MAX_DAYS_APART = 3
NUM_PERM = 128
SCHEME = "affine32"  # datasketch's hashing scheme; stored signatures are only comparable within one
SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Copy:
    """An article recorded as a copy of an indexed one."""

    source: str
    original: str
    title: str
    outlet: str | None
    url: str | None


def shingles(text: str) -> set[str]:
    """A text's lower-cased word 3-grams, the set whose Jaccard similarity MinHash estimates."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}


def signature(text: str) -> MinHash:
    """The MinHash of `shingles(text)`."""
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
    return minhash


def body_text(doc: LoadedDocument) -> str:
    """What two outlets of one wire story share: the body and captions, not the headline."""
    return " ".join(doc.text[s.start : s.end] for s in doc.segments if s.kind != "title")


class DuplicateIndex:
    """Signatures of the indexed articles and the copies recorded against them.

    :param path: the SQLite file; created on first use.
    :param threshold: the estimated Jaccard similarity from which two articles are one story.
    """

    def __init__(self, path: Path, threshold: float = DUPLICATE_THRESHOLD) -> None:
        self.path = path
        self.threshold = threshold
        self._lsh: MinHashLSH | None = None
        self._signatures: dict[str, MinHash] = {}
        self._dates: dict[str, str | None] = {}
        self._lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        try:
            with db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS signatures (source TEXT PRIMARY KEY, hashes BLOB NOT NULL, date TEXT)"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS copies (source TEXT PRIMARY KEY, original TEXT NOT NULL, "
                    "title TEXT NOT NULL, outlet TEXT, url TEXT)"
                )
                yield db
        finally:
            db.close()

    def _index(self) -> MinHashLSH:
        """The LSH over every stored signature, built once per instance."""
        if self._lsh is None:
            lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
            with self._connect() as db:
                for source, blob, date in db.execute("SELECT source, hashes, date FROM signatures"):
                    minhash = MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(blob, dtype=np.uint64), scheme=SCHEME)
                    lsh.insert(source, minhash)
                    self._signatures[source] = minhash
                    self._dates[source] = date
            self._lsh = lsh
        return self._lsh

    def fold(
        self, documents: list[LoadedDocument], indexed: set[str]
    ) -> tuple[list[LoadedDocument], list[tuple[str, str]]]:
        """The articles to index, remembered here, and the near-duplicates of indexed ones, recorded
        here as copies instead: all in one transaction (the 120 news articles took 0.22-0.31 s with
        a commit each, 0.09-0.19 s in one; docs/retrieval.md, "Twelfth round").

        An article of `indexed` (sources with chunks already) is re-indexed as itself (its text may
        have changed); one new in `documents` also counts for the ones after it.
        """
        unique: list[LoadedDocument] = []
        copies: list[tuple[str, str]] = []
        with self._lock:
            self._index()
            try:
                with self._connect() as db:
                    for doc in documents:
                        # One signature per article, for the lookup and for remembering it.
                        minhash = signature(body_text(doc))
                        original = None if doc.source in indexed else self._original(doc, minhash)
                        if original is None:
                            unique.append(doc)
                            self._remember(db, doc, minhash)
                        else:
                            logger.info("%s is a duplicate of %s", doc.source, original)
                            self._write_copy(db, doc, original)
                            copies.append((doc.source, original))
            except BaseException:
                # The writes were rolled back; what this instance remembered of them goes too.
                self._lsh = None
                self._signatures.clear()
                self._dates.clear()
                raise
        return unique, copies

    def original_of(self, doc: LoadedDocument, minhash: MinHash | None = None) -> str | None:
        """The indexed article `doc` is a near-duplicate of (the most similar one), if any.

        Only articles published within `MAX_DAYS_APART` days of it (or undated) can be its original.
        :param minhash: `doc`'s signature, when already computed.
        """
        minhash = signature(body_text(doc)) if minhash is None else minhash
        with self._lock:
            self._index()
            return self._original(doc, minhash)

    def add(self, doc: LoadedDocument, minhash: MinHash | None = None) -> None:
        """Remember an indexed article's signature (replacing an older one of the same source).

        :param minhash: `doc`'s signature, when already computed.
        """
        minhash = signature(body_text(doc)) if minhash is None else minhash
        with self._lock:
            self._index()
            with self._connect() as db:
                self._remember(db, doc, minhash)

    def record_copy(self, doc: LoadedDocument, original: str) -> None:
        """Record `doc` as a copy of the indexed article `original`."""
        with self._lock, self._connect() as db:
            self._write_copy(db, doc, original)

    def _original(self, doc: LoadedDocument, minhash: MinHash) -> str | None:
        """`original_of`, with the lock held and the LSH built."""
        assert self._lsh is not None
        scored = [
            (self._signatures[source].jaccard(minhash), source)
            for source in self._lsh.query(minhash)
            if source != doc.source and _close_in_time(doc.date, self._dates[source])
        ]
        best = max(scored, default=None)
        return best[1] if best and best[0] >= self.threshold else None

    def _remember(self, db: sqlite3.Connection, doc: LoadedDocument, minhash: MinHash) -> None:
        """`add`, with the lock held, the LSH built and the transaction open."""
        assert self._lsh is not None
        if doc.source in self._signatures:
            self._lsh.remove(doc.source)
        self._lsh.insert(doc.source, minhash)
        self._signatures[doc.source] = minhash
        self._dates[doc.source] = doc.date
        db.execute(
            "INSERT OR REPLACE INTO signatures VALUES (?, ?, ?)",
            [doc.source, minhash.hashvalues.astype(np.uint64).tobytes(), doc.date],
        )
        db.execute("DELETE FROM copies WHERE source = ?", [doc.source])

    @staticmethod
    def _write_copy(db: sqlite3.Connection, doc: LoadedDocument, original: str) -> None:
        db.execute(
            "INSERT OR REPLACE INTO copies VALUES (?, ?, ?, ?, ?)",
            [doc.source, original, doc.title, doc.outlet, doc.url],
        )

    def forget(self, source: str) -> None:
        """An article left the index: drop its signature and the copies recorded against it."""
        with self._lock, self._connect() as db:
            lsh = self._index()
            if source in self._signatures:
                lsh.remove(source)
                del self._signatures[source]
                del self._dates[source]
            db.execute("DELETE FROM signatures WHERE source = ?", [source])
            db.execute("DELETE FROM copies WHERE original = ? OR source = ?", [source, source])

    def copies_of(self, originals: Iterable[str]) -> dict[str, list[Copy]]:
        """The copies recorded against each of these indexed articles (only those that have some).

        One query for a whole answer's citations, and no file created where nothing was recorded.
        """
        wanted = list(dict.fromkeys(originals))
        if not wanted or not self.path.is_file():
            return {}
        marks = ", ".join("?" * len(wanted))
        with self._connect() as db:
            rows = db.execute(
                f"SELECT source, original, title, outlet, url FROM copies WHERE original IN ({marks}) ORDER BY source",
                wanted,
            ).fetchall()
        found: dict[str, list[Copy]] = {}
        for row in rows:
            found.setdefault(row[1], []).append(Copy(*row))
        return found


def _close_in_time(first: str | None, second: str | None) -> bool:
    if not first or not second:
        return True
    return abs((date.fromisoformat(first) - date.fromisoformat(second)).days) <= MAX_DAYS_APART
