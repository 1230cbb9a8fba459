"""Dates written in words, in any language of the table: "1 marzo 2008", "March 01, 2008".

Parsing is dateparser's (strict: day, month and year all written); this module only decides
which lines to ask about, and refuses dates in the future, which are never a publication date.

Usage:
    >>> publication_date("1 marzo 2008")
    '2008-03-01'
    >>> dateline_date("ROMA, 3 dicembre 2025 – Il governo ha approvato...")
    '2025-12-03'
    >>> question_periods("Cosa è successo nel febbraio 2009?")[0].start
    20090201
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from rag.languages import LANGUAGES, calendar_names, fold, fold_apostrophes, language

YEAR = r"(?:1[89]|20)\d\d"
"""A year in news text: four digits from 1800 to 2099 (a model number such as 737 or 7114 is none)."""
_YEAR = re.compile(rf"\b{YEAR}\b")
# "ROMA, 3 dicembre 2025 –", "BERLIN, 3. Dezember 2025 (dpa) -": a place, a comma, the date, a dash.
_DATELINE = re.compile(r"^[A-ZÀ-Ý][\w'’ .-]{1,40},\s+([^–—\n]{6,40}?)\s*(?:\([^)]{1,20}\)\s*)?[–—-]\s")
_MAX_DATE_WORDS = 6
_FOLLOWING_WORD = re.compile(r"\s*\w")


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


def date_number(date: str) -> int:
    """'2025-12-03' -> 20251203: chunks carry their date as a number because Chroma compares numbers only."""
    return int(date[:10].replace("-", ""))


@dataclass(frozen=True)
class Period:
    """A date or period a question names, widened by the time news takes to report it.

    `start` and `end` are `date_number`s, as chunks carry them; `precision` is "day", "week",
    "month" or "year". A period is `asked` unless it is a year that a word follows or "since"
    precedes, which is only named: a count ("2000 dipendenti"), what the news is about ("the 2008
    crisis"), a point of reference ("since 1982"). The rule reads no further: "Nel 2005 quanto ha
    perso GM?" names its year too. A day or a month `closes` a period when the question says so
    ("the quarter that closed on 30 December 2006", "il trimestre chiuso a fine dicembre 2006").
    """

    start: int
    end: int
    precision: str
    asked: bool = True
    closes: bool = False

    def holds(self, date_num: object) -> bool:
        """Whether a chunk's `date_num` (None when undated) falls in the period."""
        return isinstance(date_num, int) and self.start <= date_num <= self.end

    def may_report(self, date_num: object) -> bool:
        """Whether an article of `date_num` may report on the period: `holds`, and for a day or a
        month that `closes` a period, up to `CLOSING_DAYS` after its last day (the quarter ended on
        30 December was reported on 18 January)."""
        if not self.closes or not isinstance(date_num, int):
            return self.holds(date_num)
        return self.start <= date_num <= date_number((self.last_day + dt.timedelta(days=CLOSING_DAYS)).isoformat())

    @property
    def last_day(self) -> dt.date:
        """The last day the period names (before the time news takes to report it)."""
        return date_of(self.end) - dt.timedelta(days=REPORTING_DAYS[self.precision])


# How long after the named day, month or year an article may still report it: a day's events
# are written up within days, a month's within its next weeks, a year's results early next year
# (the 2005 losses of news_qa_dev's GM question were published on 2006-01-27). Not tuned.
REPORTING_DAYS = {"day": 3, "week": 3, "month": 10, "year": 45}
# How long after a day that closes a period (`Period.closes`) its results may be reported:
# quarterly results come out within weeks (Apple's quarter ended on 30 December 2006 was reported
# on 18 January 2007). Chosen when every named day got it: 45 let a stock-market day asked without
# its article be answered from one weeks later, 30 did not (docs/retrieval.md, "Ninth round");
# since the "Tenth round" only a day the question says closes a period gets it.
CLOSING_DAYS = 30


def question_periods(text: str, year: int | None = None) -> tuple[Period, ...]:
    """The dates and periods `text` names ("lunedì 23 febbraio 2009", "June 2011", "nel 2007").

    A year inside a longer date counts once, as that date. Month names come from dateparser's
    locale data (`languages.calendar_names`); the patterns only say where day, month and year stand.
    With a `year` (the conversation's), a day named without one ("on 13 October") is a day of it.
    """
    folded = fold(text)
    found: list[Period] = []
    taken: list[tuple[int, int]] = []
    patterns = _period_patterns()
    if year is not None:
        patterns += tuple((pattern, functools.partial(read, str(year))) for pattern, read in _yearless_patterns())
    for pattern, read in patterns:
        for match in pattern.finditer(folded):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            period = read(match)
            if period is not None and period.precision in ("day", "month"):
                period = replace(period, closes=_closing_pattern().search(folded, 0, match.start()) is not None)
            if period is not None:
                found.append(period)
                taken.append(match.span())
    # "The 2008 crisis: what happened in 2008?" names its year once and asks about it once.
    asked = {(p.start, p.end, p.precision) for p in found if p.asked}
    return tuple(dict.fromkeys(replace(p, asked=True) if (p.start, p.end, p.precision) in asked else p for p in found))


@functools.cache
def _period_patterns() -> tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Period | None]], ...]:
    """Most specific first: a day ("23 febbraio 2009", "March 01, 2008"), a month, a year."""
    months = _month_names()
    year = rf"({YEAR})"
    day_first, month_first = _DAY_FIRST.format(months=months), _MONTH_FIRST.format(months=months)
    return (
        (
            re.compile(rf"{day_first}\s+(?:(?:de|del|of)\s+)?{year}\b"),
            lambda m: _day(m.group(3), m.group(2), m.group(1)),
        ),
        (re.compile(rf"{month_first},?\s+{year}\b"), lambda m: _day(m.group(3), m.group(1), m.group(2))),
        (re.compile(rf"\b({months})\s+(?:(?:de|del|of)\s+)?{year}\b"), lambda m: _month(m.group(2), m.group(1))),
        (re.compile(rf"\b{year}\b"), lambda m: _year(m.group(), asked=_year_asked(m))),
    )


def _year_asked(match: re.Match[str]) -> bool:
    """A year that a word follows ("2000 dipendenti", "the 2008 crisis") or that "since" precedes
    ("the lowest level since 1982") is only named."""
    since = _since_pattern().search(match.string, 0, match.start())
    return not _FOLLOWING_WORD.match(match.string, match.end()) and since is None


@functools.cache
def _since_pattern() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_alternatives(w for entry in LANGUAGES.values() for w in entry.since_words)})\s+$")


@functools.cache
def _closing_pattern() -> re.Pattern[str]:
    """A period's noun, then a closing word at most two words before the day or month: "the
    quarter that closed on", "trimestre chiuso a fine", "the fiscal year ended"."""
    nouns = _alternatives(w for entry in LANGUAGES.values() for w in entry.period_nouns)
    closing = _alternatives(w for entry in LANGUAGES.values() for w in entry.closing_words)
    return re.compile(rf"\b(?:{nouns})\b(?:\s+\w+){{0,2}}\s+(?:{closing})\b(?:\s+\w+){{0,2}}\s+$")


def _alternatives(words: Iterable[str]) -> str:
    """Words for a regular expression, longest first; one that matches nothing when there are none.
    (`language.phrase_pattern` does the same for whole patterns; language.py imports this module.)"""
    unique = sorted(set(words), key=len, reverse=True)
    return "|".join(map(re.escape, unique)) if unique else r"(?!)"


@functools.cache
def _yearless_patterns() -> tuple[tuple[re.Pattern[str], Callable[[str, re.Match[str]], Period | None]], ...]:
    """A day and month with no year ("13 ottobre", "October 13"), read in a year given apart."""
    months = _month_names()
    no_year = rf"\b(?!,?\s+{YEAR}\b)"
    return (
        (
            re.compile(_DAY_FIRST.format(months=months) + no_year),
            lambda year, m: _day(year, m.group(2), m.group(1)),
        ),
        (re.compile(_MONTH_FIRST.format(months=months) + no_year), lambda year, m: _day(year, m.group(1), m.group(2))),
    )


# A day and its month, either way round ("23 febbraio", "3. Dezember", "March 01"): the patterns
# with a year and without one both start with these.
_DAY_FIRST = r"\b(\d{{1,2}})(?:\.|º|°)?\s+(?:(?:di|de|of)\s+)?({months})"
_MONTH_FIRST = r"\b({months})\s+(\d{{1,2}})"


@functools.cache
def _month_names() -> str:
    return "|".join(sorted(calendar_names().months, key=len, reverse=True))


def without_dates(text: str, year: int | None = None) -> str:
    """`text` folded, with the dates and periods `question_periods(text, year)` reads blanked out:
    their numbers ("22 January 2008", "13 October") are no numbers the text states."""
    folded = fold(text)
    yearless = _yearless_patterns() if year is not None else ()
    for pattern, _ in (*_period_patterns(), *yearless):
        folded = pattern.sub(" ", folded)
    return folded


def relative_phrases(text: str, lang: str) -> tuple[str, ...]:
    """The phrases of the language table that name a time relative to now in `text` ("last week")."""
    folded = fold_apostrophes(text)
    return tuple(p for p in language(lang).relative_dates if re.search(rf"\b{re.escape(fold(p))}\b", folded))


def relative_periods(text: str, lang: str, today: dt.date) -> tuple[Period, ...]:
    """The periods `text` names relative to `today` ("last week", "la settimana scorsa", "ieri"),
    read by dateparser.

    For a news archive `today` is the newest article's date: "last week" is the week before it.
    """
    phrases = relative_phrases(text, lang)
    if not phrases:
        return ()
    from dateparser.date import DateDataParser

    base = dt.datetime(today.year, today.month, today.day)
    parser = DateDataParser(languages=[lang], settings={"RELATIVE_BASE": base})
    found = []
    for phrase in phrases:
        data = parser.get_date_data(phrase)
        if data.date_obj is not None and data.period in _PERIOD_OF:
            found.append(_PERIOD_OF[data.period](data.date_obj.date()))
    return tuple(dict.fromkeys(found))


def _day(year: str, month: str, day: str) -> Period | None:
    try:
        named = dt.date(int(year), calendar_names().months[month], int(day))
    except ValueError:
        return None
    return _day_of(named)


def _month(year: str, month: str) -> Period:
    return _month_of(dt.date(int(year), calendar_names().months[month], 1))


def _year(year: str, asked: bool) -> Period:
    return replace(_year_of(dt.date(int(year), 1, 1)), asked=asked)


def _day_of(named: dt.date) -> Period:
    return _period(named - dt.timedelta(days=1), named + dt.timedelta(days=REPORTING_DAYS["day"]), "day")


def _week_of(named: dt.date) -> Period:
    monday = named - dt.timedelta(days=named.weekday())
    return _period(monday, monday + dt.timedelta(days=6 + REPORTING_DAYS["week"]), "week")


def _month_of(named: dt.date) -> Period:
    first = named.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return _period(first, last + dt.timedelta(days=REPORTING_DAYS["month"]), "month")


def _year_of(named: dt.date) -> Period:
    first, last = named.replace(month=1, day=1), named.replace(month=12, day=31)
    return _period(first, last + dt.timedelta(days=REPORTING_DAYS["year"]), "year")


# dateparser's period of a relative date ("last week" -> "week") -> the period around it.
_PERIOD_OF: dict[str, Callable[[dt.date], Period]] = {
    "day": _day_of,
    "week": _week_of,
    "month": _month_of,
    "year": _year_of,
}


def date_of(date_num: int) -> dt.date:
    """20251203 -> date(2025, 12, 3): the inverse of `date_number`."""
    return dt.date(date_num // 10000, date_num // 100 % 100, date_num % 100)


def _period(start: dt.date, end: dt.date, precision: str) -> Period:
    return Period(date_number(start.isoformat()), date_number(end.isoformat()), precision)
