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
from rag.fetching import is_url
from rag.language import names
from rag.languages import NEUTRAL, language, speech_pattern
from rag.loading import load_file
from rag.store import open_store


@dataclass(frozen=True)
class ArticleInfo:
    source: str
    title: str
    date: str | None
    outlet: str | None
    lang: str | None
    chunks: int
    url: str | None = None


@dataclass(frozen=True)
class IndexStatus:
    articles: tuple[ArticleInfo, ...]
    chunks: int
    embedding_model: str
    store: str


def index_status(settings: Settings | None = None) -> IndexStatus:
    """Articles and chunk counts of the configured store (raises `IndexMissingError` if empty)."""
    settings = settings or Settings()
    store = open_store(settings)
    store.collection()  # raises IndexMissingError while nothing is indexed
    lexical = store.lexical_index()
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
                    url=_optional(meta.get("url")),
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
    """The text that a citation's `start`/`end` offsets index: the source file, or a fetched page's kept copy."""
    settings = settings or Settings()
    if is_url(source):
        kept = open_store(settings).kept_page(source)
        if kept is None:
            raise RagError(f"{source} is not indexed; ingest the URL to read the whole article.")
        return kept.text
    path = Path(source)
    if not path.is_file():
        raise RagError(f"{source} is no longer on disk; re-ingest it to read the whole article.")
    return load_file(path, settings.max_file_bytes).text


def _speaker_pattern() -> re.Pattern[str]:
    """A name right after a speech verb of any language ("ha detto Ushakov", "said Peskov")."""
    return re.compile(rf"(?i:{speech_pattern().pattern})\s+(?:[a-zà-ÿ][\w’']*\s+)?([A-ZÀ-ÖØ-Þ][\w’'-]+)")


def example_questions(settings: Settings | None = None, limit: int = 3) -> list[str]:
    """Questions a reader could ask about who is quoted: in English, and one in the articles' language."""
    settings = settings or Settings()
    store = open_store(settings)
    store.collection()
    _, texts, metadatas = store.all_chunks()
    pattern = _speaker_pattern()
    speakers: Counter[str] = Counter()
    for text, meta in zip(texts, metadatas, strict=True):
        quoted = [m.group(1) for m in pattern.finditer(text)]
        if quoted:
            # A name, not a noun ("laut Angaben"): what the language's name rule accepts.
            found = set(names(text, str(meta.get("lang", ""))))
            speakers.update(name for name in quoted if name in found)
    ranked = [name for name, _ in speakers.most_common(limit)]
    langs = Counter(str(m.get("lang")) for m in metadatas)
    own = language(langs.most_common(1)[0][0]) if langs else NEUTRAL
    questions = [NEUTRAL.say_question.format(name=name) for name in ranked[: limit - 1]]
    questions += [own.say_question.format(name=name) for name in ranked[:1]]
    questions += [NEUTRAL.say_question.format(name=name) for name in ranked[limit - 1 :]]
    return list(dict.fromkeys(questions))[:limit]
