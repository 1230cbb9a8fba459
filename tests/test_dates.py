"""Dates written in words (rag/dates.py): a date line under a title, a dateline, never the future."""

from __future__ import annotations

import pytest

from rag.dates import dateline_date, publication_date


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("1 marzo 2008", "2008-03-01"),
        ("March 01, 2008", "2008-03-01"),
        ("lunedì 27 ottobre 2008", "2008-10-27"),
        ("27 octobre 2008", "2008-10-27"),
        ("3. Dezember 2025", "2025-12-03"),
        ("12 de junio de 2009", "2009-06-12"),
    ],
)
def test_a_line_that_is_only_a_date_is_read_in_every_table_language(line: str, iso: str) -> None:
    assert publication_date(line) == iso


@pytest.mark.parametrize(
    "line",
    [
        "Roma",
        "12 giugno",  # no year: not a publication date
        "Il 1 marzo 2008 Northrop Grumman ha vinto l'appalto degli aerei cisterna dell'aviazione americana.",
        "1 marzo 2999",  # in the future
        "Boeing 2008",
    ],
)
def test_other_lines_are_not_dates(line: str) -> None:
    assert publication_date(line) is None


def test_a_dateline_opens_the_body() -> None:
    assert dateline_date("ROMA, 3 dicembre 2025 – Il governo ha approvato la manovra.") == "2025-12-03"
    assert dateline_date("BERLIN, 3. Dezember 2025 (dpa) - Die Regierung hat beschlossen.") == "2025-12-03"
    assert dateline_date("il governo, 3 dicembre 2025 – no") is None  # a lower-case start is no place name
    assert dateline_date("Secondo il ministro, il 3 dicembre 2025 la manovra passerà.") is None
