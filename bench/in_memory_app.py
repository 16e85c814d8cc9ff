"""The helpline with its callers kept in a dict instead of the database: what a
turn costs without its database. bench.http_turns runs it beside the real one.

A measuring aid, not a way to run the helpline: one process, nothing kept, the
texts a turn would queue are written but not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from helpline.config import Settings
from helpline.engine.conversation import Conversation
from helpline.engine.intents import Intent
from helpline.helpline import Helpline, build
from helpline.turns import HIDDEN_PREFIX, Render, Reply, queued_texts
from helpline.web.app import create_app


@dataclass
class InMemoryTurns:
    """TurnRunner.run's work (engine, reply, the texts and reminders it would
    queue, a stored reply per webhook) without the database."""

    helpline: Helpline
    callers: dict[str, tuple[Conversation, int]] = field(default_factory=dict)
    replies: dict[str, Reply] = field(default_factory=dict)

    async def run(self, key: str, number: str, intent: Intent, now: datetime, render: Render, media_type: str) -> Reply:
        if key in self.replies:
            return self.replies[key]
        conv, turns = self.callers.get(number) or (Conversation(can_text=not number.startswith(HIDDEN_PREFIX)), 0)
        turn = self.helpline.engine.step(conv, intent, now.date())
        reply = Reply(media_type, render(turn, turns + 1))
        queued_texts(  # made, not sent
            turn, number, self.helpline.words, ZoneInfo(self.helpline.settings.timezone), now.astimezone(timezone.utc)
        )
        self.callers[number], self.replies[key] = (conv, turns + 1), reply
        return reply

    async def close(self) -> None:
        """Nothing to give back: TurnRunner.close's part at shutdown."""


helpline = build(Settings.from_env())
helpline.turns = InMemoryTurns(helpline)  # type: ignore[assignment]
app = create_app(helpline)
