"""What the engine decided on one turn: words to say, a question to ask, side effects.

Lines are prompt keys with their values, never finished words: channels render
them, so the engine never builds XML or picks SMS wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from helpline.rules.reminders import Reminder
from helpline.rules.routes import Advice


@dataclass(frozen=True)
class Line:
    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    advice: Advice
    council: str | None  # GSS code
    today: date  # the day it was worked out: dates before it have passed
    reminders: bool = False  # reminders are scheduled: say so, and how to stop them


@dataclass
class Turn:
    channel: str
    lines: list[Line] = field(default_factory=list)
    ask: str | None = None  # the question to ask now
    summary: Summary | None = None
    hangup: bool = False  # voice: end the call after speaking
    silent: bool = False  # send nothing back (an opted-out number)
    effects: list[TextCaller | RequestCallback | OptOut] = field(default_factory=list)
    # Replace the caller's pending reminders with these (empty: cancel them all);
    # None leaves them be. One value a turn: the last decision wins.
    reminders: tuple[Reminder, ...] | None = None


@dataclass(frozen=True)
class TextCaller:
    """Send the caller an SMS: the rendered form of `turn`, through the outbox."""

    turn: Turn


@dataclass(frozen=True)
class RequestCallback:
    question: str | None


@dataclass(frozen=True)
class OptOut:
    pass
