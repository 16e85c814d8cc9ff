"""Working days in England and Wales.

A working day is any day except a Saturday or Sunday, Christmas Day, Good
Friday or a bank holiday under section 1 of the Banking and Financial Dealings
Act 1971 in England and Wales, including substitute days and one-off bank
holidays appointed by proclamation (Rules r.1(3) "working day"; RULES.md
section 3, "How to count").

Bank holidays come from the ``holidays`` package (``GB``, subdivision ``ENG``,
whose bank holidays are the same as Wales's). Christmas Day and Good Friday are
common-law holidays rather than bank holidays, so they are added here
explicitly rather than trusted to the package.

Pure functions: no clock reads, no I/O.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.easter import easter

__all__ = [
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "add_working_days",
]

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=None)
def _non_working_dates(year: int) -> frozenset[date]:
    """Every weekday-independent non-working date in ``year``."""
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=year)
    christmas_day = date(year, 12, 25)
    good_friday = easter(year) - timedelta(days=2)
    return frozenset(bank_holidays) | {christmas_day, good_friday}


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day.

    Not a Saturday, Sunday, Christmas Day, Good Friday or an England and Wales
    bank holiday (Rules r.1(3) "working day"; RULES.md section 3).
    """
    return day.weekday() < 5 and day not in _non_working_dates(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a working day, otherwise the next one.

    This is how a Tribunal time limit that ends on a non-working day moves
    (Rules r.12(2)).
    """
    while not is_working_day(day):
        day += _ONE_DAY
    return day


def previous_working_day(day: date) -> date:
    """``day`` itself if it is a working day, otherwise the last one before it.

    Used where the helpline must never state a date later than the law allows.
    """
    while not is_working_day(day):
        day -= _ONE_DAY
    return day


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (before it if negative).

    ``start`` itself is never counted, so "within 3 working days of" a Friday
    is the following Wednesday, and 5 working days before a Monday is the
    Monday a week earlier. ``count == 0`` returns ``start`` unchanged.
    The one place the "N working days after/before" rules in the Regs and the
    Code are counted (RULES.md section 3).
    """
    step = _ONE_DAY if count >= 0 else -_ONE_DAY
    day = start
    for _ in range(abs(count)):
        day += step
        while not is_working_day(day):
            day += step
    return day
