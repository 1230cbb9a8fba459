"""Dates written in words (rag/dates.py): a date line under a title, a dateline, never the future."""

from __future__ import annotations

import pytest

from rag.dates import dateline_date, publication_date, question_periods


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


@pytest.mark.parametrize(
    ("question", "first_day", "last_day"),
    [
        # A named day, widened by the days news takes to report it.
        ("Dopo la seduta di lunedì 23 febbraio 2009, dove era il Dow Jones?", "2009-02-22", "2009-02-26"),
        ("What happened on March 01, 2008?", "2008-02-29", "2008-03-04"),
        ("Que s'est-il passé le 3 décembre 2025 ?", "2025-12-02", "2025-12-06"),
        # A month, then the weeks after it.
        ("How many orders did Airbus have in January 2005?", "2005-01-01", "2005-02-10"),
        ("Nell'agosto 2007 quanta liquidità ha immesso la BCE?", "2007-08-01", "2007-09-10"),
        # A year, then the start of the next (annual results are published then).
        ("What were the losses for 2005?", "2005-01-01", "2006-02-14"),
    ],
)
def test_a_question_names_its_period(question: str, first_day: str, last_day: str) -> None:
    (period,) = question_periods(question)
    assert (period.start.isoformat(), period.end.isoformat()) == (first_day, last_day)


def test_questions_name_several_periods_or_none() -> None:
    periods = question_periods("How far did it fall on 27 February 2007, and in October 2007?")
    assert [p.start.isoformat() for p in periods] == ["2007-02-26", "2007-10-01"]
    # Model numbers and counts are no years; a year inside a date counts once.
    assert question_periods("How many Boeing 737 and A380 jets were ordered?") == ()
    assert len(question_periods("lunedì 23 febbraio 2009")) == 1


def test_a_period_holds_the_dates_inside_it() -> None:
    (period,) = question_periods("in June 2011")
    assert period.holds("2011-06-07") and period.holds("2011-07-10")
    assert not period.holds("2011-05-31") and not period.holds("2012-06-07") and not period.holds("")
