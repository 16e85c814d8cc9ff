"""What a caller did on one turn, once a channel has read their SMS or keypress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Channel = Literal["sms", "voice"]

# Commands that work on every question, in both channels.
HELP = "help"
BACK = "back"
REPEAT = "repeat"
RESTART = "restart"
STOP = "stop"
START = "start"
ADVISER = "adviser"
UPDATE = "update"
REMINDERS_OFF = "reminders_off"
REMINDERS_ON = "reminders_on"
# The commands a caller can text; their words are in prompts/<language>.yaml.
TEXT_COMMANDS = (HELP, BACK, REPEAT, RESTART, STOP, START, ADVISER, UPDATE, REMINDERS_OFF, REMINDERS_ON)
# What channels report that is not an answer.
ARRIVE = "arrive"  # a call was answered
SILENCE = "silence"  # the keypad gather timed out


@dataclass(frozen=True)
class Intent:
    """`command` is one of the names above, or None when `text` is an answer."""

    channel: Channel
    command: str | None = None
    text: str = ""
