"""When to remind a caller, from their steps: pure, no clock (today is passed in).

Three kinds of step:
- the caller must act by a date (contact the adviser, appeal): reminders some
  days before it (configurable, e.g. 14, 7 and 2);
- someone else must act by a date (the adviser sends a certificate, the council
  arranges mediation): a check-in on the next working day after it, asking
  whether it happened;
- an event on a date (the mediation meeting): a reminder 2 days before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from helpline.rules.calendar import add_working_days
from helpline.rules.routes import Advice

CALLER_ACTS = frozenset({"contact_adviser", "appeal", "appeal_with_certificate"})
OTHERS_ACT = frozenset({"ask_for_certificate", "mediation_arranged", "certificate_after_mediation"})
EVENTS = frozenset({"mediation_on"})
EVENT_NOTICE_DAYS = 2

REMINDER = "reminder"
CHECK_IN = "check_in"


@dataclass(frozen=True)
class Reminder:
    kind: str  # REMINDER or CHECK_IN
    step: str  # the step it is about: its prompt key
    due: date  # the step's date
    send_on: date


def plan(advice: Advice, today: date, days_before: tuple[int, ...]) -> list[Reminder]:
    """Every reminder still to come for this advice, soonest first."""
    reminders: list[Reminder] = []
    for step in advice.steps:
        if step.due is None:
            continue
        if step.key in CALLER_ACTS:
            reminders += [
                Reminder(REMINDER, step.key, step.due, step.due - timedelta(days=days))
                for days in days_before
            ]
        elif step.key in EVENTS:
            reminders.append(Reminder(REMINDER, step.key, step.due, step.due - timedelta(days=EVENT_NOTICE_DAYS)))
        elif step.key in OTHERS_ACT:
            reminders.append(Reminder(CHECK_IN, step.key, step.due, add_working_days(step.due, 1)))
    upcoming = {r for r in reminders if r.send_on > today}
    return sorted(upcoming, key=lambda r: (r.send_on, r.step))
