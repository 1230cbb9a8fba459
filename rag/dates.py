"""Dates written in words, in any language of the table: "1 marzo 2008", "March 01, 2008".

Parsing is dateparser's (strict: day, month and year all written); this module only decides
which lines to ask about, and refuses dates in the future, which are never a publication date.

Usage:
    >>> publication_date("1 marzo 2008")
    '2008-03-01'
    >>> dateline_date("ROMA, 3 dicembre 2025 – Il governo ha approvato...")
    '2025-12-03'
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from rag.languages import LANGUAGES

_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# "ROMA, 3 dicembre 2025 –", "BERLIN, 3. Dezember 2025 (dpa) -": a place, a comma, the date, a dash.
_DATELINE = re.compile(r"^[A-ZÀ-Ý][\w'’ .-]{1,40},\s+([^–—\n]{6,40}?)\s*(?:\([^)]{1,20}\)\s*)?[–—-]\s")
_MAX_DATE_WORDS = 6


def publication_date(line: str) -> str | None:
    """The ISO date when `line` is a date and nothing else (a date line under a title), else None."""
    text = line.strip().strip(".")
    if len(text.split()) > _MAX_DATE_WORDS or not _YEAR.search(text):
        return None
    return _parse(text)


def dateline_date(line: str) -> str | None:
    """The ISO date of a dateline that opens `line` ("ROMA, 3 dicembre 2025 – ..."), else None."""
    found = _DATELINE.match(line)
    if not found or not _YEAR.search(found.group(1)):
        return None
    return _parse(found.group(1))


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> str | None:
    import dateparser

    parsed = dateparser.parse(
        text,
        languages=list(LANGUAGES),
        settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"},
    )
    if parsed is None or parsed.date() > dt.date.today():
        return None
    return parsed.date().isoformat()
