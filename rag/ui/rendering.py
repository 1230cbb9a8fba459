"""Markdown for untrusted text: article passages and answers are shown, never interpreted.

Streamlit renders markdown (links, images, math, emoji, colour directives). Every ASCII punctuation
mark of an untrusted text is backslash-escaped, so `[x](javascript:…)` or `![](http://…)` stays
text, and bare URLs are broken with a zero-width space so they are not turned into links.

Usage:
    >>> inert("**not bold**")
    '\\\\*\\\\*not bold\\\\*\\\\*'
    >>> st.markdown(highlighted(passage, 10, 42))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit's markdown turns bare URLs, www. names and e-mail addresses into links.
_AUTOLINK = re.compile(r"(?i)(://|\bwww\.|@)")
_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")
ZERO_WIDTH_SPACE = "\u200b"
# Private-use characters mark where a highlight opens and closes until the text is escaped.
_OPEN, _CLOSE = "\ue000", "\ue001"
_EMPTY_DIRECTIVE = re.compile(r":[a-z-]+\[\]")

QUOTE_STYLE = "orange-background"
PASSAGE_STYLE = "gray-background"


def inert(text: str) -> str:
    """`text` as markdown that displays exactly these characters, with line breaks kept."""
    text = _AUTOLINK.sub(lambda m: m.group(1)[0] + ZERO_WIDTH_SPACE + m.group(1)[1:], text)
    escaped = _PUNCTUATION.sub(r"\\\1", text)
    paragraphs = re.split(r"\n[ \t]*\n", escaped.strip("\n"))
    return "\n\n".join("  \n".join(p.split("\n")) for p in paragraphs)


def highlighted(text: str, start: int, end: int) -> str:
    """`text` as inert markdown with `text[start:end]` highlighted."""
    return marked(text, [(start, end, QUOTE_STYLE)])


def marked(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """`text` as inert markdown, each non-overlapping `(start, end, style)` span in a colour directive."""
    styles: list[str] = []
    pieces: list[str] = []
    position = 0
    for start, end, style in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        pieces += [text[position:start], _OPEN, text[start:end], _CLOSE]
        styles.append(style)
        position = end
    pieces.append(text[position:])
    return _directives(inert("".join(pieces)), iter(styles))


def _directives(markdown: str, styles: Any) -> str:
    """Turn the open/close marks into `:style[…]`, closed and reopened at each line break."""
    lines = []
    style = None
    for line in markdown.split("\n"):
        body, tail = line.rstrip(" "), line[len(line.rstrip(" ")) :]
        out = []
        if style and body:
            out.append(f":{style}[")
        for ch in body:
            if ch == _OPEN:
                style = next(styles)
                out.append(f":{style}[")
            elif ch == _CLOSE:
                out.append("]")
                style = None
            else:
                out.append(ch)
        if style and body:
            out.append("]")
        lines.append(_EMPTY_DIRECTIVE.sub("", "".join(out)) + tail)
    return "\n".join(lines)


def answer_markdown(answer: str) -> str:
    """The answer as inert markdown whose `[n]` markers stand out like the sources' labels."""
    return _ESCAPED_MARKER.sub(lambda m: marker(int(m.group(1))), inert(answer))


def marker(n: int) -> str:
    return f":blue-background[**\\[{n}\\]**]"


def source_label(citation: Mapping[str, Any]) -> str:
    """`[n] Title · date · outlet` (or the file name when the outlet is unknown), as inert markdown."""
    parts = [str(citation.get("title") or "Untitled")]
    if citation.get("date"):
        parts.append(str(citation["date"]))
    parts.append(str(citation.get("outlet") or str(citation.get("source", "")).rsplit("/", 1)[-1]))
    return f"{marker(int(citation['n']))} " + inert(" · ".join(parts))


def cited_passage(citation: Mapping[str, Any]) -> str:
    """The cited passage with the quoted sentence highlighted (the offsets are the source's)."""
    offset = int(citation["start"])
    return highlighted(citation["text"], int(citation["quote_start"]) - offset, int(citation["quote_end"]) - offset)


def article_markdown(article: str, citation: Mapping[str, Any]) -> str:
    """The whole article with the passage shaded and its quoted sentence highlighted."""
    start, end = int(citation["start"]), int(citation["end"])
    quote_start, quote_end = int(citation["quote_start"]), int(citation["quote_end"])
    if article[quote_start:quote_end] != citation["quote"]:
        return inert(article)  # the file changed since it was indexed: show it unmarked
    return marked(
        article,
        [(start, quote_start, PASSAGE_STYLE), (quote_start, quote_end, QUOTE_STYLE), (quote_end, end, PASSAGE_STYLE)],
    )
