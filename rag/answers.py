"""What every answerer returns: `Answer` and `Citation`, the `[n]` markers and the abstention.

Both answerers (`rag.answering.ExtractiveAnswerer`, `rag.generation.LLMAnswerer`) build these; the
chain streams them and the UI and CLI show them. A citation's `quote` is always an exact slice of
its passage `text`, and `start`/`end`/`quote_start`/`quote_end` index the source article's text.

Usage:
    >>> abstention("it").text
    'Non ho trovato questa informazione negli articoli.'
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from langchain_core.documents import Document

from rag.languages import language

MARKER = re.compile(r"\s*\[(\d+)\]")
"""A citation marker in an answer's text: "... territori. [1]"."""


@dataclass(frozen=True)
class Carrier:
    """Another outlet that carried the same story (a near-duplicate not indexed again)."""

    outlet: str | None
    url: str | None
    title: str


@dataclass(frozen=True)
class Citation:
    """Passage `n` of an answer, with the words quoted from it and where they are in the article."""

    n: int
    source: str
    title: str
    date: str | None
    text: str
    quote: str
    start: int
    end: int
    quote_start: int
    quote_end: int
    outlet: str | None = None
    chunk_id: str | None = None
    url: str | None = None
    also_in: tuple[Carrier, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def citation_for(n: int, doc: Document, start: int, end: int) -> Citation:
    """Citation `n` of `doc.page_content[start:end]`, with offsets into the source text."""
    meta = doc.metadata
    offset = int(meta.get("start", 0))
    return Citation(
        n=n,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        date=meta.get("date"),
        text=doc.page_content,
        quote=doc.page_content[start:end],
        start=offset,
        end=int(meta.get("end", offset + len(doc.page_content))),
        quote_start=offset + start,
        quote_end=offset + end,
        outlet=meta.get("outlet"),
        chunk_id=meta.get("chunk_id"),
        url=meta.get("url"),
    )


@dataclass(frozen=True)
class Answer:
    """An answer whose every `[n]` marker is one of `citations`; or an abstention, citing nothing."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    mode: str = "extractive"
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.as_dict() for c in self.citations],
            "abstained": self.abstained,
            "mode": self.mode,
            "warnings": list(self.warnings),
        }


def abstention(lang: str, mode: str = "extractive") -> Answer:
    """ "I couldn't find this in the articles", in the question's language."""
    return Answer(language(lang).abstention, (), True, mode)
