"""Tests for reading caller-supplied dates (SMS text and keypad)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from helpline.engine import dates
from helpline.engine.dates import DateProblem, DateReading, read_keypad_date, read_text_date

TODAY = date(2026, 11, 28)
ONE_YEAR_AGO = date(2025, 11, 28)
MID = date(2026, 3, 3)  # well inside the accepted window


def ok(value: date) -> DateReading:
    return DateReading(value, None)


def bad(problem: DateProblem) -> DateReading:
    return DateReading(None, problem)


TEXT_CASES = [
    # Accepted shapes (all 3 March 2026).
    pytest.param("3 March 2026", ok(MID), id="day-month-name-year"),
    pytest.param("3rd March 2026", ok(MID), id="ordinal-day"),
    pytest.param("3rd of March 2026", ok(MID), id="ordinal-of"),
    pytest.param("03/03/26", ok(MID), id="slash-two-digit-year"),
    pytest.param("3/3/2026", ok(MID), id="slash-four-digit-year"),
    pytest.param("3.3.26", ok(MID), id="dots"),
    pytest.param("3-3-26", ok(MID), id="dashes"),
    pytest.param("3 3 26", ok(MID), id="spaces"),
    pytest.param("03 Mar 26", ok(MID), id="short-month-two-digit-year"),
    pytest.param("3-Mar-26", ok(MID), id="dashed-short-month"),
    pytest.param("March 3 2026", ok(MID), id="month-first-words"),
    pytest.param("March 3rd, 2026", ok(MID), id="month-first-ordinal-comma"),
    pytest.param("2026-03-03", ok(MID), id="iso"),
    pytest.param("03032026", ok(MID), id="compact-ddmmyyyy"),
    pytest.param("  3 march 2026. ", ok(MID), id="padding-case-full-stop"),
    # Strictly day-first: 10/11 is 10 November, never 11 October.
    pytest.param("10/11/26", ok(date(2026, 11, 10)), id="day-first-not-us"),
    pytest.param("1st Jan 26", ok(date(2026, 1, 1)), id="two-digit-year-is-20yy"),
    # Missing parts or not a date at all.
    pytest.param("March 2026", bad("unreadable"), id="no-day"),
    pytest.param("3 March", bad("unreadable"), id="no-year"),
    pytest.param("3/3", bad("unreadable"), id="numeric-no-year"),
    pytest.param("2026", bad("unreadable"), id="year-only"),
    pytest.param("Monday", bad("unreadable"), id="weekday"),
    pytest.param("yesterday", bad("unreadable"), id="relative-word"),
    pytest.param("hello", bad("unreadable"), id="hello"),
    pytest.param("", bad("unreadable"), id="empty"),
    pytest.param("   ", bad("unreadable"), id="blank"),
    pytest.param("it was 3 March 2026", bad("unreadable"), id="no-fuzzy-extra-words"),
    pytest.param("3 Marhc 2026", bad("unreadable"), id="misspelt-month"),
    pytest.param("3/3/202", bad("unreadable"), id="three-digit-year"),
    pytest.param("1234567", bad("unreadable"), id="seven-digits"),
    # Shapes of a date, but no such day.
    pytest.param("31/02/2027", bad("impossible"), id="31-feb-slash"),
    pytest.param("30.2.27", bad("impossible"), id="30-feb-dots"),
    pytest.param("32 March 2027", bad("impossible"), id="day-32-named-month"),
    pytest.param("31 February 2027", bad("impossible"), id="31-feb-named-month"),
    pytest.param("0 March 2026", bad("impossible"), id="day-zero-named-month"),
    pytest.param("12/13/2026", bad("impossible"), id="month-13-not-swapped"),
    pytest.param("29/02/2026", bad("impossible"), id="29-feb-non-leap"),
    pytest.param("2026-02-30", bad("impossible"), id="iso-30-feb"),
    pytest.param("31022026", bad("impossible"), id="compact-31-feb"),
    # Outside the window [one year ago, today].
    pytest.param("28/11/2026", ok(TODAY), id="today-ok"),
    pytest.param("29/11/2026", bad("future"), id="tomorrow-future"),
    pytest.param("3 March 2027", bad("future"), id="next-year-future"),
    pytest.param("28/11/2025", ok(ONE_YEAR_AGO), id="exactly-one-year-ago-ok"),
    pytest.param("27 Nov 2025", bad("too_old"), id="one-year-and-a-day-too-old"),
    pytest.param("3 March 1999", bad("too_old"), id="last-century-too-old"),
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES)
def test_read_text_date(text: str, expected: DateReading) -> None:
    assert read_text_date(text, TODAY) == expected


KEYPAD_CASES = [
    pytest.param("03032026", ok(MID), id="ddmmyyyy"),
    pytest.param("28112026", ok(TODAY), id="today-ok"),
    pytest.param("28112025", ok(ONE_YEAR_AGO), id="exactly-one-year-ago-ok"),
    pytest.param("27112025", bad("too_old"), id="too-old"),
    pytest.param("29112026", bad("future"), id="future"),
    pytest.param("31022027", bad("impossible"), id="31-feb"),
    pytest.param("00012026", bad("impossible"), id="day-zero"),
    pytest.param("01132026", bad("impossible"), id="month-13"),
    pytest.param("030326", bad("unreadable"), id="six-digits"),
    pytest.param("030320266", bad("unreadable"), id="nine-digits"),
    pytest.param("", bad("unreadable"), id="empty"),
    pytest.param("0303202#", bad("unreadable"), id="hash-key"),
    pytest.param("03/03/2026", bad("unreadable"), id="separators"),
    pytest.param("０３０３２０２６", bad("unreadable"), id="non-ascii-digits"),
]


@pytest.mark.parametrize(("digits", "expected"), KEYPAD_CASES)
def test_read_keypad_date(digits: str, expected: DateReading) -> None:
    assert read_keypad_date(digits, TODAY) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        pytest.param(
            date(2028, 2, 29), "28/02/2027", ok(date(2027, 2, 28)), id="leap-today-window-start"
        ),
        pytest.param(
            date(2028, 2, 29), "27/02/2027", bad("too_old"), id="leap-today-day-before-start"
        ),
    ],
)
def test_window_from_leap_day(today: date, text: str, expected: DateReading) -> None:
    assert read_text_date(text, today) == expected


def test_two_digit_year_does_not_depend_on_clock() -> None:
    # dateutil's default pivots two-digit years around the current year; ours
    # always means 20YY, so "99" is 2099 (and therefore in the future).
    assert read_text_date("3 March 99", TODAY) == bad("future")


def test_reading_is_frozen() -> None:
    reading = read_text_date("3 March 2026", TODAY)
    with pytest.raises(AttributeError):
        reading.value = TODAY  # type: ignore[misc]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("28 November 2026", DateReading(date(2026, 11, 28), None)),
        ("10/01/27", DateReading(date(2027, 1, 10), None)),
        ("28 November 2027", DateReading(date(2027, 11, 28), None)),
        ("27 November 2026", DateReading(None, "past")),
        ("29 November 2027", DateReading(None, "too_far")),
        ("30/02/27", DateReading(None, "impossible")),
    ],
    ids=["today", "soon", "a-year-ahead", "yesterday", "over-a-year-ahead", "impossible"],
)
def test_a_coming_event_reads_the_next_year(text: str, expected: DateReading) -> None:
    assert read_text_date(text, TODAY, future=True) == expected


def test_a_coming_event_by_keypad() -> None:
    assert read_keypad_date("10012027", TODAY, future=True) == DateReading(date(2027, 1, 10), None)
    assert read_keypad_date("10012026", TODAY, future=True) == DateReading(None, "past")


def _day_month_year_texts() -> list[str]:
    """Texts of the shape read without dateutil: every day form against every
    spelling of every month in three cases, cycling through the suffixes,
    "of", a comma and years from 1000 to 9999."""
    days = [str(day) for day in range(33)] + ["00", "01", "09", "31"]
    spellings = [word for names in dates._PARSER.info.MONTHS for word in names]
    cases = [str.lower, str.title, str.upper]
    extras = list(itertools.product(["", "st", "nd", "rd", "th"], ["", "of "], ["", ","],
                                    ["2026", "1999", "1000", "9999"]))
    texts = []
    for n, (day, spelling, case) in enumerate(itertools.product(days, spellings, cases)):
        suffix, of, comma, year = extras[n % len(extras)]
        texts.append(f"{day}{suffix} {of}{case(spelling)}{comma} {year}")
    return texts


def test_the_common_shape_is_read_as_dateutil_reads_it() -> None:
    """Texts like "3rd of March 2026" are read without dateutil
    (dates._read_day_month_year): for each, the reading is dateutil's."""
    problems = set()
    for text in _day_month_year_texts():
        direct, by_dateutil = dates._read_day_month_year(text), dates._read_by_dateutil(text)
        assert direct is not None, text
        assert direct == by_dateutil, text
        problems.add(by_dateutil.problem)
    assert problems == {None, "impossible"}


@pytest.mark.parametrize("text", [
    "3 Marhc 2026", "March 3 2026", "3 March 26", "3 March 0026", "3rd, March 2026", "3  March 2026", "123 March 2026",
])
def test_other_shapes_go_to_dateutil(text: str) -> None:
    assert dates._read_day_month_year(text) is None
