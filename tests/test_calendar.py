"""Working days in England and Wales (helpline.rules.calendar).

Every expected date was checked against the real calendar and the published
England and Wales bank holidays. Useful anchors:
- Easter 2027: Good Friday Fri 26 Mar, Easter Monday Mon 29 Mar.
- Easter 2028: Good Friday Fri 14 Apr, Easter Monday Mon 17 Apr.
- Christmas 2027: 25/26 Dec are Sat/Sun; substitutes Mon 27 and Tue 28 Dec.
- New Year 2028: 1 Jan is a Saturday; substitute Mon 3 Jan.
- Summer 2027: late summer bank holiday Mon 30 Aug; Wed 1 Sep.
- One-offs: Fri 8 May 2020 (early May moved), Fri 3 Jun 2022 (jubilee,
  with spring bank holiday moved to Thu 2 Jun), Mon 19 Sep 2022 (funeral of
  Queen Elizabeth II), Mon 8 May 2023 (coronation).
"""

from datetime import date, timedelta

import pytest

from helpline.rules.calendar import (
    add_working_days,
    is_working_day,
    next_working_day,
    previous_working_day,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2027, 9, 1), True, id="wed-1-sep-2027"),
        pytest.param(date(2027, 9, 3), True, id="fri-3-sep-2027"),
        pytest.param(date(2027, 9, 4), False, id="saturday"),
        pytest.param(date(2027, 9, 5), False, id="sunday"),
        pytest.param(date(2027, 3, 25), True, id="maundy-thursday-2027"),
        pytest.param(date(2027, 3, 26), False, id="good-friday-2027"),
        pytest.param(date(2027, 3, 29), False, id="easter-monday-2027"),
        pytest.param(date(2027, 3, 30), True, id="tue-after-easter-2027"),
        pytest.param(date(2028, 4, 13), True, id="maundy-thursday-2028"),
        pytest.param(date(2028, 4, 14), False, id="good-friday-2028"),
        pytest.param(date(2028, 4, 17), False, id="easter-monday-2028"),
        pytest.param(date(2028, 4, 18), True, id="tue-after-easter-2028"),
        pytest.param(date(2028, 12, 25), False, id="christmas-day-mon-2028"),
        pytest.param(date(2028, 12, 26), False, id="boxing-day-tue-2028"),
        pytest.param(date(2028, 12, 27), True, id="wed-27-dec-2028"),
        pytest.param(date(2027, 12, 24), True, id="christmas-eve-fri-2027"),
        pytest.param(date(2027, 12, 27), False, id="christmas-substitute-mon-27-dec-2027"),
        pytest.param(date(2027, 12, 28), False, id="boxing-substitute-tue-28-dec-2027"),
        pytest.param(date(2027, 12, 29), True, id="wed-29-dec-2027"),
        pytest.param(date(2027, 12, 31), True, id="new-years-eve-fri-2027"),
        pytest.param(date(2028, 1, 3), False, id="new-year-substitute-mon-3-jan-2028"),
        pytest.param(date(2028, 1, 4), True, id="tue-4-jan-2028"),
        pytest.param(date(2023, 1, 2), False, id="new-year-substitute-mon-2-jan-2023"),
        pytest.param(date(2020, 5, 8), False, id="early-may-moved-to-fri-8-may-2020"),
        pytest.param(date(2020, 5, 4), True, id="mon-4-may-2020-not-a-holiday"),
        pytest.param(date(2022, 6, 2), False, id="spring-moved-to-thu-2-jun-2022"),
        pytest.param(date(2022, 6, 3), False, id="platinum-jubilee-fri-3-jun-2022"),
        pytest.param(date(2022, 5, 30), True, id="last-mon-may-2022-not-a-holiday"),
        pytest.param(date(2022, 9, 19), False, id="queens-funeral-mon-19-sep-2022"),
        pytest.param(date(2023, 5, 8), False, id="coronation-mon-8-may-2023"),
        pytest.param(date(2027, 5, 3), False, id="early-may-mon-3-may-2027"),
        pytest.param(date(2027, 5, 31), False, id="spring-mon-31-may-2027"),
        pytest.param(date(2027, 8, 30), False, id="late-summer-mon-30-aug-2027"),
        pytest.param(date(2027, 8, 31), True, id="tue-31-aug-2027"),
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert is_working_day(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2027, 9, 1), date(2027, 9, 1), id="working-day-is-itself"),
        pytest.param(date(2027, 9, 4), date(2027, 9, 6), id="sat-to-mon"),
        pytest.param(date(2027, 8, 28), date(2027, 8, 31), id="sat-over-bank-holiday-mon-to-tue"),
        pytest.param(date(2027, 3, 26), date(2027, 3, 30), id="good-friday-2027-to-tue"),
        pytest.param(date(2028, 4, 14), date(2028, 4, 18), id="good-friday-2028-to-tue"),
        pytest.param(date(2027, 12, 25), date(2027, 12, 29), id="christmas-2027-to-wed-29-dec"),
        pytest.param(date(2028, 1, 1), date(2028, 1, 4), id="new-year-2028-to-tue-4-jan"),
        pytest.param(date(2023, 5, 6), date(2023, 5, 9), id="sat-over-coronation-to-tue"),
    ],
)
def test_next_working_day(day: date, expected: date) -> None:
    assert next_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2027, 9, 1), date(2027, 9, 1), id="working-day-is-itself"),
        pytest.param(date(2027, 9, 5), date(2027, 9, 3), id="sun-to-fri"),
        pytest.param(date(2027, 8, 30), date(2027, 8, 27), id="bank-holiday-mon-to-fri"),
        pytest.param(date(2027, 3, 29), date(2027, 3, 25), id="easter-monday-2027-to-thu"),
        pytest.param(date(2027, 12, 28), date(2027, 12, 24), id="boxing-substitute-2027-to-fri-24"),
        pytest.param(date(2028, 1, 3), date(2027, 12, 31), id="new-year-substitute-to-fri-31-dec"),
        pytest.param(date(2022, 9, 19), date(2022, 9, 16), id="queens-funeral-to-fri"),
    ],
)
def test_previous_working_day(day: date, expected: date) -> None:
    assert previous_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        pytest.param(date(2027, 9, 6), 3, date(2027, 9, 9), id="mon-plus-3-is-thu"),
        pytest.param(date(2027, 9, 2), 3, date(2027, 9, 7), id="thu-plus-3-across-weekend-is-tue"),
        pytest.param(date(2027, 9, 3), 3, date(2027, 9, 8), id="fri-plus-3-is-wed"),
        pytest.param(date(2027, 9, 4), 3, date(2027, 9, 8), id="sat-start-not-counted-is-wed"),
        pytest.param(date(2027, 3, 25), 3, date(2027, 4, 1), id="across-easter-2027"),
        pytest.param(date(2028, 4, 12), 3, date(2028, 4, 19), id="across-easter-2028"),
        pytest.param(date(2027, 12, 23), 3, date(2027, 12, 30), id="across-christmas-2027"),
        pytest.param(date(2027, 12, 31), 1, date(2028, 1, 4), id="across-new-year-2028"),
        pytest.param(date(2023, 5, 5), 1, date(2023, 5, 9), id="across-coronation"),
        pytest.param(date(2027, 9, 6), 0, date(2027, 9, 6), id="zero-is-start"),
        pytest.param(date(2027, 9, 13), -5, date(2027, 9, 6), id="mon-minus-5-is-previous-mon"),
        pytest.param(date(2027, 4, 2), -5, date(2027, 3, 24), id="minus-5-back-across-easter"),
    ],
)
def test_add_working_days(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize("count", [1, 3, 5, -5], ids=lambda c: f"count-{c}")
def test_add_working_days_counts_exactly_count_working_days(count: int) -> None:
    """Over two years of starts: ends on a working day, exactly count away."""
    one = timedelta(days=1)
    for day in _days(date(2027, 1, 1), date(2028, 12, 31)):
        result = add_working_days(day, count)
        assert is_working_day(result), day
        # The start is never counted; the result always is.
        span = _days(day + one, result) if count > 0 else _days(result, day - one)
        assert sum(is_working_day(d) for d in span) == abs(count), day
