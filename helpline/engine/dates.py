"""Reading a date the caller gives us, by SMS text or on the phone keypad.

Callers tell us when something happened (a decision letter, a refusal) so we
can work out deadlines. A wrong date silently gives a wrong deadline, so this
module prefers saying "I couldn't read that" over guessing: every part of the
date must be present, numeric dates are strictly UK day-first, and dates that
cannot be right for a recent event (in the future, or over a year ago) are
reported so the flow can ask again with the right prompt.

Pure functions: no I/O and no clock reads; ``today`` is always passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from dateutil import parser as du_parser
from dateutil.relativedelta import relativedelta

__all__ = [
    "DateProblem",
    "DateReading",
    "read_keypad_date",
    "read_text_date",
]

DateProblem = Literal["unreadable", "impossible", "future", "too_old", "past", "too_far"]
"""Why a date was refused. The values are prompt keys; do not rename them."""


@dataclass(frozen=True)
class DateReading:
    """The outcome of reading a date: exactly one of ``value``/``problem`` is set.

    A result object rather than an exception because every problem is an
    ordinary, expected answer from a caller that the flow re-prompts for.
    """

    value: date | None
    problem: DateProblem | None


# Numeric day/month/year, e.g. 3/3/27, 03.03.2027, 3-3-27, "3 3 27".
# Separators may be mixed; the year must be 2 or 4 digits.
_NUMERIC_DMY: Final = re.compile(
    r"(\d{1,2})\s*[./\-\s]\s*(\d{1,2})\s*[./\-\s]\s*(\d{2}|\d{4})", re.ASCII
)
# ISO year-first, e.g. 2027-03-03 (also with / or . separators).
_NUMERIC_YMD: Final = re.compile(r"(\d{4})\s*[./\-]\s*(\d{1,2})\s*[./\-]\s*(\d{1,2})", re.ASCII)
# Compact DDMMYYYY, the same shape we ask keypad callers for.
_COMPACT_DMY: Final = re.compile(r"(\d{2})(\d{2})(\d{4})", re.ASCII)
# Text made only of digits and separators: never handed to dateutil, because
# dateutil would quietly swap day and month (12/13/2027) or accept odd shapes.
_NUMERIC_ONLY: Final = re.compile(r"[\d\s./\-]+", re.ASCII)

# Two defaults that differ in day, month and year (days <= 28 so dateutil
# never has to clamp). If parsing with each gives different answers, the text
# left some part of the date out and dateutil filled it from the default.
_DEFAULT_A: Final = datetime(2001, 1, 1)
_DEFAULT_B: Final = datetime(2002, 2, 2)


class _UkParserInfo(du_parser.parserinfo):
    """dateutil settings for UK callers: day-first, two-digit years are 20YY.

    dateutil's own two-digit-year rule depends on the current clock year;
    pinning it to 20YY keeps the result deterministic and matches how callers
    write recent dates ("3/3/27").
    """

    def __init__(self) -> None:
        super().__init__(dayfirst=True, yearfirst=False)

    def convertyear(self, year: int, century_specified: bool = False) -> int:
        if year < 100 and not century_specified:
            return 2000 + year
        return year


def _full_year(year_text: str) -> int:
    """Two-digit years mean 20YY: callers report recent events."""
    year = int(year_text)
    return 2000 + year if len(year_text) == 2 else year


def _build(year: int, month: int, day: int) -> date | None:
    """A date from numeric parts, or None when no such day exists."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _in_window(reading: DateReading, today: date, future: bool) -> DateReading:
    """Refuse dates that cannot be the event asked about.

    A past event (a letter) is from the same calendar date one year ago up to
    today; a coming one (a mediation meeting) from today up to a year ahead.
    Both ends are inclusive (relativedelta clamps 29 Feb to 28 Feb).
    """
    value = reading.value
    if value is None:
        return reading
    if not future and value > today:
        return DateReading(None, "future")
    if not future and value < today - relativedelta(years=1):
        return DateReading(None, "too_old")
    if future and value < today:
        return DateReading(None, "past")
    if future and value > today + relativedelta(years=1):
        return DateReading(None, "too_far")
    return reading


def _from_parts(year: int, month: int, day: int) -> DateReading:
    value = _build(year, month, day)
    return DateReading(None, "impossible") if value is None else DateReading(value, None)


def _read_numeric(text: str) -> DateReading:
    """Digits-and-separators text: strict day-first, never month/day swapping."""
    if m := _NUMERIC_YMD.fullmatch(text):
        return _from_parts(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC_DMY.fullmatch(text):
        return _from_parts(_full_year(m[3]), int(m[2]), int(m[1]))
    if m := _COMPACT_DMY.fullmatch(text):
        return _from_parts(int(m[3]), int(m[2]), int(m[1]))
    return DateReading(None, "unreadable")


# One parser for every text: dateutil's parse() builds a parser and its
# settings (month and word tables) anew each call. Parsing changes neither.
_PARSER: Final = du_parser.parser(_UkParserInfo())


def _parse_words(text: str, default: datetime) -> datetime:
    return _PARSER.parse(text, default=default, ignoretz=True)


# The shape most callers type ("3 March 2027", "3rd of Mar 2027"), read
# without dateutil: its two parses took about 200 us, a sixth of the CPU of
# the SMS turn that asks for a date. Month names are dateutil's own
# table, and a test holds this to dateutil's reading of every such text; any
# other shape (a two-digit year, the month first; a year with a leading 0,
# which dateutil reads as 20YY) goes to dateutil.
_DAY_MONTH_YEAR: Final = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+),? ([1-9]\d{3})", re.ASCII | re.IGNORECASE
)


def _read_day_month_year(text: str) -> DateReading | None:
    """A text of _DAY_MONTH_YEAR's shape, read; None for any other."""
    m = _DAY_MONTH_YEAR.fullmatch(text)
    month = _PARSER.info.month(m[2]) if m else None
    return None if month is None else _from_parts(int(m[3]), month, int(m[1]))


def _read_with_month_name(text: str) -> DateReading:
    """Dates with a month name ("3rd March 2027", "March 3 2027"): the
    common shape directly, the rest via dateutil."""
    reading = _read_day_month_year(text)
    return _read_by_dateutil(text) if reading is None else reading


def _read_by_dateutil(text: str) -> DateReading:
    """Any shape dateutil reads, refused if it filled in a part the text left out."""
    try:
        first = _parse_words(text, _DEFAULT_A)
        second = _parse_words(text, _DEFAULT_B)
    except (ValueError, OverflowError) as exc:
        # dateutil's ParserError is a ValueError; this message means the text
        # was a date shape with a day the month doesn't have ("31 February").
        if "out of range" in str(exc):
            return DateReading(None, "impossible")
        return DateReading(None, "unreadable")
    if first != second:
        # Some of day/month/year came from the defaults, not the caller.
        return DateReading(None, "unreadable")
    return DateReading(first.date(), None)


def read_text_date(text: str, today: date, future: bool = False) -> DateReading:
    """Read a date typed in an SMS, the UK day-first way.

    Accepts numeric forms (03/03/27, 3.3.2027, 3-3-27, 2027-03-03, 03032027)
    and month-name forms (3 March 2027, 3rd Mar 27, March 3 2027). Day, month
    and year must all be given, because a guessed part would give a wrong
    deadline. Anything else, including extra words, is "unreadable".
    """
    cleaned = " ".join(text.split()).strip(" ,.")
    if not cleaned:
        return DateReading(None, "unreadable")
    reading = _read_numeric(cleaned) if _NUMERIC_ONLY.fullmatch(cleaned) else _read_with_month_name(cleaned)
    return _in_window(reading, today, future)


def read_keypad_date(digits: str, today: date, future: bool = False) -> DateReading:
    """Read a date keyed as exactly eight digits, DDMMYYYY.

    The phone prompt asks for this one shape so there is nothing to guess;
    any other length or character is "unreadable".
    """
    m = _COMPACT_DMY.fullmatch(digits)
    if m is None:
        return DateReading(None, "unreadable")
    return _in_window(_from_parts(int(m[3]), int(m[2]), int(m[1])), today, future)
