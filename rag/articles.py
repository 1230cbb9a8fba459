"""What is indexed: status, the list of articles, an article's full text and example questions.

Usage:
    >>> status = index_status(Settings())  # doctest: +SKIP
    >>> status.chunks, [a.title for a in status.articles]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError
from rag.loading import load_file
from rag.retrieval import build_retriever


@dataclass(frozen=True)
class ArticleInfo:
    source: str
    title: str
    date: str | None
    outlet: str | None
    lang: str | None
    chunks: int


@dataclass(frozen=True)
class IndexStatus:
    articles: tuple[ArticleInfo, ...]
    chunks: int
    embedding_model: str
    store: str


def index_status(settings: Settings | None = None) -> IndexStatus:
    """Articles and chunk counts of the configured store (raises `IndexMissingError` if empty)."""
    settings = settings or Settings()
    lexical = build_retriever(settings).lexical_index()
    counts: Counter[str] = Counter()
    first: dict[str, dict[str, object]] = {}
    for meta in lexical.metadatas:
        source = str(meta.get("source", ""))
        counts[source] += 1
        first.setdefault(source, meta)
    articles = tuple(
        sorted(
            (
                ArticleInfo(
                    source=source,
                    title=str(meta.get("title") or Path(source).name),
                    date=_optional(meta.get("date")),
                    outlet=_optional(meta.get("outlet")),
                    lang=_optional(meta.get("lang")),
                    chunks=counts[source],
                )
                for source, meta in first.items()
            ),
            key=lambda a: (a.date or "", a.title),
            reverse=True,
        )
    )
    return IndexStatus(articles, len(lexical.ids), settings.embedding_identity, settings.store_location)


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def article_text(source: str, settings: Settings | None = None) -> str:
    """The text that a citation's `start`/`end` offsets index, re-read from the source file."""
    settings = settings or Settings()
    path = Path(source)
    if not path.is_file():
        raise RagError(f"{source} is no longer on disk; re-ingest it to read the whole article.")
    return load_file(path, settings.max_file_bytes).text


_SPEAKER = re.compile(r"\b(?:ha detto|ha spiegato|ha ribadito|ha dichiarato|secondo|said|told)\s+(?:l[’']?\w+\s+)?([A-Z][\w’'-]+)")


def example_questions(settings: Settings | None = None, limit: int = 3) -> list[str]:
    """Questions a reader could ask, drawn from who is quoted and what the titles are about."""
    settings = settings or Settings()
    retriever = build_retriever(settings)
    _, texts, metadatas = retriever.store.all_chunks()
    speakers: Counter[str] = Counter()
    for text in texts:
        speakers.update(m.group(1) for m in _SPEAKER.finditer(text))
    questions = [f"What did {name} say?" for name, _ in speakers.most_common(limit - 1)]
    langs = Counter(str(m.get("lang")) for m in metadatas)
    for name, _ in speakers.most_common(1):
        questions.append(f"Cosa ha detto {name}?" if langs.most_common(1)[0][0] == "it" else f"Who is {name}?")
    return list(dict.fromkeys(questions))[:limit]
