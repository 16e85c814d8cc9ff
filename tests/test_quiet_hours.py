"""When a message may go: quiet hours 20:00-09:00 Europe/London, their ends
allowed, deadlines first; across the clock changes of 2026 and 2027."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from helpline.outbox.quiet_hours import send_time

LONDON = ZoneInfo("Europe/London")
START, END = time(20, 0), time(9, 0)


def uk(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON, fold=fold)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


CASES = [
    # due, deadline, expected
    pytest.param(uk(2026, 6, 10, 12), None, uk(2026, 6, 10, 12), id="daytime-goes-at-once"),
    pytest.param(uk(2026, 6, 10, 20), None, uk(2026, 6, 10, 20), id="20:00-itself-is-allowed"),
    pytest.param(uk(2026, 6, 10, 9), None, uk(2026, 6, 10, 9), id="09:00-itself-is-allowed"),
    pytest.param(uk(2026, 6, 10, 20, 0, 1), None, uk(2026, 6, 11, 9), id="just-after-20:00-waits"),
    pytest.param(uk(2026, 6, 10, 21), None, uk(2026, 6, 11, 9), id="evening-to-next-morning"),
    pytest.param(uk(2026, 6, 11, 2), None, uk(2026, 6, 11, 9), id="small-hours-to-this-morning"),
    pytest.param(utc(2026, 6, 10, 20, 30), None, uk(2026, 6, 11, 9), id="due-given-in-utc-is-21:30-bst"),
    pytest.param(uk(2026, 6, 10, 21), uk(2026, 6, 11, 9), uk(2026, 6, 11, 9), id="deadline-at-09:00-is-not-after"),
    pytest.param(uk(2026, 6, 10, 21), uk(2026, 6, 10, 23), uk(2026, 6, 10, 20), id="deadline-tonight-goes-at-20:00"),
    pytest.param(uk(2026, 6, 10, 21), uk(2026, 6, 11, 8, 59), uk(2026, 6, 10, 20), id="deadline-before-09:00"),
    pytest.param(uk(2026, 6, 10, 21), uk(2026, 6, 10, 20, 30), uk(2026, 6, 10, 20), id="deadline-in-the-window"),
    pytest.param(uk(2026, 6, 11, 2), uk(2026, 6, 11, 5), uk(2026, 6, 10, 20), id="small-hours-back-to-last-evening"),
    pytest.param(uk(2026, 6, 10, 21), uk(2026, 6, 10, 19), uk(2026, 6, 10, 21), id="deadline-before-window-at-due"),
    # 29 Mar 2026: 01:00 GMT becomes 02:00 BST; the night is 11 hours long in UTC.
    pytest.param(uk(2026, 3, 28, 21), None, utc(2026, 3, 29, 8), id="spring-2026-to-09:00-bst"),
    pytest.param(uk(2026, 3, 29, 3), None, utc(2026, 3, 29, 8), id="spring-2026-after-the-change"),
    pytest.param(uk(2026, 3, 28, 21), uk(2026, 3, 29, 8), utc(2026, 3, 28, 20), id="spring-2026-deadline"),
    # 25 Oct 2026: 02:00 BST becomes 01:00 GMT; the night is 13 hours long in UTC.
    pytest.param(uk(2026, 10, 24, 21), None, utc(2026, 10, 25, 9), id="autumn-2026-to-09:00-gmt"),
    pytest.param(uk(2026, 10, 25, 1, 30), None, utc(2026, 10, 25, 9), id="autumn-2026-first-01:30"),
    pytest.param(uk(2026, 10, 25, 1, 30, fold=1), None, utc(2026, 10, 25, 9), id="autumn-2026-second-01:30"),
    pytest.param(uk(2026, 10, 24, 21), uk(2026, 10, 25, 8), utc(2026, 10, 24, 19), id="autumn-2026-deadline"),
    # 28 Mar 2027 and 31 Oct 2027.
    pytest.param(uk(2027, 3, 27, 22), uk(2027, 3, 28, 8), utc(2027, 3, 27, 20), id="spring-2027-deadline"),
    pytest.param(uk(2027, 3, 27, 22), None, utc(2027, 3, 28, 8), id="spring-2027-to-09:00-bst"),
    pytest.param(uk(2027, 10, 30, 23), None, utc(2027, 10, 31, 9), id="autumn-2027-to-09:00-gmt"),
    pytest.param(uk(2027, 10, 31, 5), uk(2027, 10, 31, 6), utc(2027, 10, 30, 19), id="autumn-2027-back-to-20:00-bst"),
]


@pytest.mark.parametrize(("due", "deadline", "expected"), CASES)
def test_send_time(due: datetime, deadline: datetime | None, expected: datetime) -> None:
    sent = send_time(due, deadline, START, END, LONDON)
    assert sent == expected, f"{sent.astimezone(LONDON)} != {expected.astimezone(LONDON)}"
    assert sent.tzinfo is timezone.utc


OTHER_WINDOWS = [
    # start, end, due, deadline, expected
    pytest.param(time(13), time(14), uk(2026, 6, 10, 13, 30), None, uk(2026, 6, 10, 14), id="within-one-day"),
    pytest.param(time(13), time(14), uk(2026, 6, 10, 13, 30), uk(2026, 6, 10, 13, 45), uk(2026, 6, 10, 13),
                 id="within-one-day-deadline"),
    pytest.param(time(9), time(9), uk(2026, 6, 10, 3), None, uk(2026, 6, 10, 3), id="equal-ends-no-quiet-hours"),
    # 01:30 does not happen on 29 Mar 2026: the window ends at 02:30 BST, never inside it.
    pytest.param(time(23), time(1, 30), uk(2026, 3, 28, 23, 30), None, utc(2026, 3, 29, 1, 30), id="end-skipped"),
    # 01:30 happens twice on 25 Oct 2026: 01:00-01:30 GMT is allowed again, so the
    # last allowed time before the window is the second 01:30.
    pytest.param(time(1, 30), time(6), uk(2026, 10, 25, 3), uk(2026, 10, 25, 5), utc(2026, 10, 25, 1, 30),
                 id="start-twice"),
]


@pytest.mark.parametrize(("start", "end", "due", "deadline", "expected"), OTHER_WINDOWS)
def test_send_time_other_windows(start: time, end: time, due: datetime, deadline: datetime | None,
                                 expected: datetime) -> None:
    assert send_time(due, deadline, start, end, LONDON) == expected


@pytest.mark.parametrize("first", [uk(2026, 3, 27, 12), uk(2026, 10, 23, 12), uk(2027, 3, 26, 12),
                                   uk(2027, 10, 29, 12)])
def test_never_quiet_never_early_across_a_clock_change(first: datetime) -> None:
    """Every 10 minutes over three days around a change: without a deadline a
    message goes at or after it is due, never between 20:00 and 09:00 local time."""
    for step in range(3 * 24 * 6):
        due = first.astimezone(timezone.utc) + timedelta(minutes=10 * step)
        sent = send_time(due, None, START, END, LONDON)
        wall = sent.astimezone(LONDON).time()
        assert sent >= due and END <= wall <= START, (due, sent)
        assert sent - due < timedelta(hours=14), (due, sent)
