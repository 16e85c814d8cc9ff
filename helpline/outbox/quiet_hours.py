"""Quiet hours: no reminder reaches a family's phone at night, unless waiting
until morning would make it miss the deadline it is about.

Pure. Worked in local wall-clock time, so the window is 20:00-09:00 on the
nights the clocks change too, when it is an hour longer or shorter in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def send_time(due: datetime, deadline: datetime | None, quiet_start: time, quiet_end: time, zone: ZoneInfo) -> datetime:
    """When a message due at `due` may go, in UTC: at `due` unless that is quiet;
    then when the quiet hours end, or, if that is after `deadline`, when they
    began (the last allowed time before them, which may be before `due`); if
    even that is after `deadline`, at `due`.

    Quiet is strictly between `quiet_start` and `quiet_end` local time: both ends
    are allowed. A window whose start is after its end wraps midnight.
    """
    local = due.astimezone(zone)
    wall = local.time()
    if not _is_quiet(wall, quiet_start, quiet_end):
        return due.astimezone(timezone.utc)
    day = local.date()
    ends = _instant(day + timedelta(days=1 if wall > quiet_end else 0), quiet_end, zone, fold=0)
    if deadline is None or ends <= deadline:
        return ends
    began = _instant(day - timedelta(days=0 if wall > quiet_start else 1), quiet_start, zone, fold=1)
    return began if began <= deadline else due.astimezone(timezone.utc)


def _is_quiet(wall: time, quiet_start: time, quiet_end: time) -> bool:
    if quiet_start <= quiet_end:  # within one day; equal times mean no quiet hours
        return quiet_start < wall < quiet_end
    return wall > quiet_start or wall < quiet_end


def _instant(day: date, wall: time, zone: ZoneInfo, fold: int) -> datetime:
    """`wall` on `day`, in UTC. Where the clocks go back and `wall` happens
    twice, fold 0 is the first time and fold 1 the second; where they go
    forward past it, fold 0 is later and fold 1 earlier. So a window's end
    (fold 0) and start (fold 1) never fall inside it."""
    return datetime.combine(day, wall, tzinfo=zone).replace(fold=fold).astimezone(timezone.utc)
