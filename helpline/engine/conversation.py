"""One caller's place in the flow: what the engine reads and changes on each turn."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Conversation:
    """The state the machine drives; storage loads and saves it around each turn.

    `state` is the question being asked (None before the welcome); `history` is the
    questions asked before it, for BACK; `answers` holds only what the flow saves.
    """

    state: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    reprompts: int = 0
    opted_out: bool = False
    can_text: bool = True

    @property
    def textable(self) -> bool:
        """We may text this caller: we know their number and they have not said STOP."""
        return self.can_text and not self.opted_out
