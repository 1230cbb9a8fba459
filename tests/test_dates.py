"""Dates written in words (rag/dates.py): a date line under a title, a dateline, never the future."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.dates import (
    CLOSING_DAYS,
    REPORTING_DAYS,
    date_number,
    dateline_date,
    publication_date,
    question_periods,
    relative_periods,
    without_dates,
)


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
    ("question", "named_first", "named_last", "precision"),
    [
        ("Dopo la seduta di lunedì 23 febbraio 2009, dove era il Dow Jones?", "2009-02-23", "2009-02-23", "day"),
        ("What happened on March 01, 2008?", "2008-03-01", "2008-03-01", "day"),
        ("Que s'est-il passé le 3 décembre 2025 ?", "2025-12-03", "2025-12-03", "day"),
        ("How many orders did Airbus have in January 2005?", "2005-01-01", "2005-01-31", "month"),
        ("Nell'agosto 2007 quanta liquidità ha immesso la BCE?", "2007-08-01", "2007-08-31", "month"),
        ("What were the losses for 2005?", "2005-01-01", "2005-12-31", "year"),
    ],
)
def test_a_question_names_its_period(question: str, named_first: str, named_last: str, precision: str) -> None:
    (period,) = question_periods(question)
    first, last = dt.date.fromisoformat(named_first), dt.date.fromisoformat(named_last)
    assert period.precision == precision
    # The named span, widened by a day before (time zones) for a day, and by the reporting time after.
    assert period.start == date_number(str(first - dt.timedelta(days=1 if precision == "day" else 0)))
    assert period.end == date_number(str(last + dt.timedelta(days=REPORTING_DAYS[precision])))


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What were GM's losses for 2005?", True),
        ("Quanto ha perso GM nel 2005, e perché?", True),
        ("How did the 2008 crisis hit GM?", False),
        ("Quando ha annunciato GM il taglio di 2005 posti?", False),
        # A year after "since" is a point of reference, not when the news happened.
        ("When did the Nikkei sink to its lowest level since 1982?", False),
        ("Quando è sceso il Nikkei al minimo dal 1982?", False),
        ("Seit 1990?", False),
    ],
)
def test_a_year_a_word_follows_or_since_precedes_is_named_not_asked(question: str, asked: bool) -> None:
    (period,) = question_periods(question)
    assert period.asked is asked


def test_a_month_is_asked_and_a_year_named_and_asked_counts_once() -> None:
    assert all(p.asked for p in question_periods("Cosa ha detto GM nel marzo 2005 ai sindacati?"))
    (year,) = question_periods("How did the 2008 crisis hit GM in 2008?")
    assert year.asked


def test_a_day_that_closes_a_period_may_be_reported_weeks_later_others_not() -> None:
    (day,) = question_periods("Nel trimestre chiuso il 30 dicembre 2006, quanti iPod ha venduto Apple?")
    assert day.closes and not day.holds(20070118) and day.may_report(20070118)
    (english,) = question_periods("In the quarter that ended on 30 December 2006, how many iPods did Apple sell?")
    assert english.closes
    # A day of news is reported within days, also when a market "closed" on it.
    (quake,) = question_periods("A quale livello era il Nikkei venerdì 11 marzo 2011, il giorno del terremoto?")
    assert not quake.closes and quake.may_report(20110312) and not quake.may_report(20110318)
    (market,) = question_periods("A quale livello ha chiuso venerdì 11 marzo 2011 il Nikkei?")
    (dow,) = question_periods("At what level had the Dow closed on 22 January 2008?")
    assert not market.closes and not dow.closes
    last = dt.date(2006, 12, 30) + dt.timedelta(days=CLOSING_DAYS)
    assert day.may_report(date_number(str(last)))
    assert not day.may_report(date_number(str(last + dt.timedelta(days=1))))
    assert not day.may_report(20061201)
    (month,) = question_periods("Quanti iPod ha venduto Apple nel dicembre 2006?")
    assert month.may_report(20061215) and not month.may_report(20070118)
    # A month closes a period too: "the quarter that ended in December" is reported in January.
    (quarter,) = question_periods("Nel trimestre chiuso a fine dicembre 2006, quale utile ha registrato Apple?")
    assert quarter.closes and quarter.may_report(20070118) and not quarter.may_report(20070201)


def test_a_day_without_a_year_is_read_in_the_year_given() -> None:
    (day,) = question_periods("And how did its shares do on 13 October, when markets rebounded?", 2008)
    assert (day.start, day.end, day.precision, day.asked) == (20081012, 20081016, "day", True)
    assert [p.start for p in question_periods("E il 5 marzo?", 2009)] == [20090304]
    # Without a year given it names nothing; one the question writes wins, also after a comma.
    assert question_periods("And how did its shares do on 13 October?") == ()
    assert [p.start for p in question_periods("On 13 October 2009?", 2008)] == [20091012]
    assert [p.start for p in question_periods("On 13 October, 2009?", 2008)] == [20090101]
    # Its numbers are no numbers the question states only where it is read as a date.
    assert "13" in without_dates("On 13 October?") and "13" not in without_dates("On 13 October?", 2008)


def test_questions_name_several_periods_or_none() -> None:
    periods = question_periods("How far did it fall on 27 February 2007, and in October 2007?")
    assert [(p.start, p.precision) for p in periods] == [(20070226, "day"), (20071001, "month")]
    # Model numbers and counts are no years; a year inside a date counts once.
    assert question_periods("How many Boeing 737 and A380 jets were ordered?") == ()
    assert len(question_periods("lunedì 23 febbraio 2009")) == 1


def test_a_period_holds_the_dates_of_chunks_inside_it() -> None:
    (period,) = question_periods("in June 2011")
    assert period.holds(date_number("2011-06-07")) and period.holds(date_number("2011-07-10"))
    assert not period.holds(date_number("2011-05-31")) and not period.holds(date_number("2012-06-07"))
    assert not period.holds(None)  # an undated chunk


NEWEST = dt.date(2009, 6, 10)  # a Wednesday: "last week" is 1-7 June


@pytest.mark.parametrize(
    ("question", "lang", "first", "last", "precision"),
    [
        ("What did Acme say last week?", "en", "2009-06-01", "2009-06-07", "week"),
        ("Cosa ha detto Acme la settimana scorsa?", "it", "2009-06-01", "2009-06-07", "week"),
        ("Qu'a dit Acme la semaine dernière ?", "fr", "2009-06-01", "2009-06-07", "week"),
        ("¿Qué dijo Acme ayer?", "es", "2009-06-09", "2009-06-09", "day"),
        ("Was hat Acme letzten Monat gesagt?", "de", "2009-05-01", "2009-05-31", "month"),
        ("O que a Acme disse no ano passado?", "pt", "2008-01-01", "2008-12-31", "year"),
    ],
)
def test_a_relative_period_is_read_against_the_newest_article(
    question: str, lang: str, first: str, last: str, precision: str
) -> None:
    (period,) = relative_periods(question, lang, NEWEST)
    assert period.precision == precision
    assert period.holds(date_number(first)) and period.holds(date_number(last))
    assert not period.holds(date_number((dt.date.fromisoformat(first) - dt.timedelta(days=2)).isoformat()))


def test_no_relative_phrase_no_relative_period() -> None:
    assert relative_periods("What did Acme say about the weekly figures?", "en", NEWEST) == ()
    # Folded and with a typographic apostrophe, as typed.
    assert relative_periods("Quanto ha guadagnato Acme quest’anno?", "it", NEWEST)[0].precision == "year"
