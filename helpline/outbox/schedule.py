"""Reminders become outbox rows: a text, a time to send it, and the deadline it
must not be sent after (the dispatcher moves it out of quiet hours, never past that)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from helpline.channels.words import Words
from helpline.rules.reminders import CHECK_IN, Reminder
from helpline.storage.models import outbox_values

SEND_AT = time(10, 0)  # mid-morning, local time: read at a sensible hour
DUE_BY = time(17, 0)  # acts are due by 5pm on the last day (Rules r.12(1); RULES.md s.3)


def at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on a day, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(timezone.utc)


def reminder_rows(
    reminders: tuple[Reminder, ...], number: str, words: Words, zone: ZoneInfo, now: datetime
) -> list[dict[str, object]]:
    """Outbox rows for a caller's reminders, made at `now`; the turn that saves them fills in the caller's id."""
    return [
        outbox_values(
            None,
            number,
            words.reminder(reminder),
            now,
            kind=reminder.kind,
            due_at=at(reminder.send_on, SEND_AT, zone),
            deadline_at=None if reminder.kind == CHECK_IN else at(reminder.due, DUE_BY, zone),
        )
        for reminder in reminders
    ]
