"""Chunking: sentence-aware, overlapping chunks that never cross a dropped line or a caption.

Sentences are found with offsets, so every chunk is an exact slice of the document text:
`doc.text[chunk.start:chunk.end] == chunk.text`.

Usage:
    >>> spans = split_sentences("Ha detto: “Va bene. Grazie”. Poi è partito per Roma.")
    >>> len(spans)
    2
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.languages import is_abbreviation
from rag.loading import LoadedDocument, Segment

# Marks that open a quotation; German „ is closed by “ (`_inside_quotation`).
_OPENING_QUOTES = "“«„"
# A parenthesis after a full stop is a credit or an aside, not a new sentence.
# A closing mark set off by a space ("d'accord. » Puis"), or an opening one used to close
# ("… grandi. “ Ralph Crosby"), ends the sentence with it. The next sentence may open with a
# quotation mark, French guillemets set off by a space ("« Nous"), German „ or Spanish ¿ and ¡.
_BOUNDARY = re.compile(r"[.!?…]+(?:\s[“”»](?=\s))?[”“\"»’')\]]*(?=\s+(?:[\"“«‘„¿¡]\s?)?[A-ZÀ-ÖØ-Þ0-9])|\n+")
_MAX_OPEN_QUOTE = 600


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    text: str
    start: int
    end: int
    kind: str
    index: int


def split_sentences(text: str, start: int = 0, end: int | None = None, lang: str | None = None) -> list[Span]:
    """Sentence spans of `text[start:end]`, whitespace trimmed; quotations stay whole. `lang`
    (the text's language, if known) says which words are abbreviations."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    sentence_start = start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end() if match.group()[0] != "\n" else match.start()
        if match.group()[0] != "\n":
            if _ends_with_abbreviation(text, sentence_start, match.start(), lang):
                continue
            if _inside_quotation(text, sentence_start, cut):
                continue
        _append_trimmed(spans, text, sentence_start, cut)
        sentence_start = match.end()
    _append_trimmed(spans, text, sentence_start, end)
    return spans


def _ends_with_abbreviation(text: str, sentence_start: int, dot: int, lang: str | None) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([\w.]+)$", text[sentence_start:dot])
    if not word:
        return False
    return is_abbreviation(word.group(1), lang)


def _inside_quotation(text: str, sentence_start: int, cut: int) -> bool:
    depth = 0
    german_open = 0  # quotations opened with „, which “ closes whatever follows it ("„Bild“-Zeitung")
    opened_at = 0
    straight_open = False
    for i in range(sentence_start, cut):
        ch = text[i]
        if ch == "“" and (german_open or _misused_as_closing(text, i, depth > 0 or i == cut - 1)):
            depth = max(depth - 1, 0)
            german_open = max(german_open - 1, 0)
        elif ch in _OPENING_QUOTES:
            if depth == 0:
                opened_at = i
            depth += 1
            german_open += ch == "„"
        elif ch in ("”", "»") and depth:
            depth -= 1
        elif ch == '"':
            straight_open = not straight_open
            opened_at = i
    still_open = depth > 0 or straight_open
    return still_open and cut - opened_at < _MAX_OPEN_QUOTE


def _misused_as_closing(text: str, i: int, may_close: bool) -> bool:
    """Whether the opening mark at `i` closes a quotation: "sfide difficili “. Una differenza".

    Translated news often close quotations so (60 times in the 120 articles of ../shared/news/it);
    left open, the quotation would run on to the next 600 characters as one sentence. Before a
    space it closes only what is open (`may_close`): "“ Va bene ”" opens with a space too.
    Guillemets are left alone: French sets them off with spaces.
    """
    following = text[i + 1 : i + 2]
    return not following or following in ".,;:!?" or (following.isspace() and may_close)


def _append_trimmed(spans: list[Span], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        offset = start + piece.index(stripped)
        spans.append(Span(offset, offset + len(stripped)))


def chunk_document(doc: LoadedDocument, target_chars: int = 450, overlap_sentences: int = 1) -> list[Chunk]:
    """Overlapping chunks of whole sentences, each inside one segment of `doc`."""
    chunks: list[Chunk] = []
    for segment in doc.segments:
        for start, end in _segment_windows(doc.text, segment, target_chars, overlap_sentences, doc.lang):
            chunks.append(Chunk(doc.text[start:end], start, end, segment.kind, len(chunks)))
    return chunks


def _segment_windows(text: str, segment: Segment, target: int, overlap: int, lang: str) -> list[tuple[int, int]]:
    sentences = _bounded(text, split_sentences(text, segment.start, segment.end, lang), target)
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences) and sentences[last + 1].end - sentences[first].start <= target:
            last += 1
        windows.append((sentences[first].start, sentences[last].end))
        if last + 1 >= len(sentences):
            break
        first = max(first + 1, last + 1 - overlap)
    return windows


def _bounded(text: str, sentences: list[Span], target: int) -> list[Span]:
    """Very long sentences are cut at word boundaries so no chunk is far over the target."""
    limit = 2 * target
    out: list[Span] = []
    for span in sentences:
        start = span.start
        while span.end - start > limit:
            space = text.rfind(" ", start + target // 2, start + target)
            # Cut at a space and skip it, or mid-word when there is none (then nothing is skipped).
            cut, resume = (space, space + 1) if space > start else (start + target, start + target)
            out.append(Span(start, cut))
            start = resume
        out.append(Span(start, span.end))
    return out
