"""One webhook, one turn, stored atomically: load the caller, let the engine decide,
save the new state with the reply and its side effects, or retry if someone else
saved first.

Why optimistic locking: it serialises one caller's turns the same way on SQLite
and on PostgreSQL, across any number of processes, without holding a lock while
the engine runs. Two texts arriving at once both get applied, one after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from helpline.channels import sms
from helpline.channels.words import Words
from helpline.engine.conversation import Conversation
from helpline.engine.engine import Engine
from helpline.engine.intents import Intent
from helpline.engine.turn import OptOut, RequestCallback, TextCaller, Turn
from helpline.outbox.dispatch import QUIET_KINDS
from helpline.outbox.schedule import reminder_rows
from helpline.storage.callers import opt_out
from helpline.storage.models import Caller, CallbackRequest, OutboxMessage, WebhookReceipt, outbox_values, utcnow

MAX_ATTEMPTS = 50
HIDDEN_PREFIX = "hidden:"

# Renders the turn for the channel; gets the caller's turn count after this turn.
Render = Callable[[Turn, int], str]


@dataclass(frozen=True)
class Reply:
    media_type: str
    body: str
    texts_queued: int = 0


class Conflict(Exception):
    """Another turn for this caller, or the same webhook, was saved first."""


@dataclass
class TurnRunner:
    database: AsyncEngine
    engine: Engine
    words: Words
    zone: ZoneInfo

    def __post_init__(self) -> None:
        # SQLite has one writer at a time: taking turns here, in the process, is
        # cheaper than contending for its file lock (whose busy handler sleeps).
        # PostgreSQL needs no such thing: the version check serialises a caller.
        sqlite = self.database.dialect.name == "sqlite"
        self._one_at_a_time = asyncio.Lock() if sqlite else contextlib.nullcontext()

    async def run(
        self, key: str, number: str, intent: Intent, today: date, render: Render, media_type: str
    ) -> Reply:
        """Process one webhook exactly once; a retry of it gets the first reply back."""
        for attempt in range(MAX_ATTEMPTS):
            async with self._one_at_a_time, self.database.connect() as connection:
                receipt = (await connection.execute(_RECEIPT, {"key": key})).first()
                if receipt is not None:
                    return Reply(receipt.media_type, receipt.body)
                try:
                    return await self._attempt(connection, key, number, intent, today, render, media_type)
                except Conflict:
                    await connection.rollback()
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise RuntimeError(f"turn {key} lost {MAX_ATTEMPTS} races in a row")

    async def _attempt(
        self,
        connection: AsyncConnection,
        key: str,
        number: str,
        intent: Intent,
        today: date,
        render: Render,
        media_type: str,
    ) -> Reply:
        caller = (await connection.execute(_CALLER, {"number": number})).first()
        conv = _conversation(caller, number)
        turn = self.engine.step(conv, intent, today)
        turns = (caller.turns if caller else 0) + 1
        body = render(turn, turns)
        caller_id = await self._save_caller(connection, caller, number, conv, turns)
        try:
            await connection.execute(
                insert(WebhookReceipt),
                {"key": key, "caller_id": caller_id, "media_type": media_type, "body": body, "created_at": utcnow()},
            )
        except IntegrityError as error:
            raise Conflict from error  # Twilio's retry of this webhook was saved first
        queued = await self._effects(connection, turn, caller_id, number, intent.channel)
        try:
            await connection.commit()
        except IntegrityError as error:
            raise Conflict from error
        return Reply(media_type, body, queued)

    async def _save_caller(
        self, connection: AsyncConnection, caller: Row | None, number: str, conv: Conversation, turns: int
    ) -> int:
        values = dict(
            state=conv.state,
            answers=conv.answers,
            history=conv.history,
            reprompts=conv.reprompts,
            opted_out=conv.opted_out,
            turns=turns,
            updated_at=utcnow(),
        )
        if caller is None:
            try:
                created = await connection.execute(
                    insert(Caller).returning(Caller.id),
                    {"number": number, "language": self.engine.catalogue.language, "version": 0,
                     "created_at": values["updated_at"], **values},
                )
            except IntegrityError as error:
                raise Conflict from error  # the same new caller's other message got there first
            return created.scalar_one()
        saved = await connection.execute(
            _SAVE, {"id_": caller.id, "seen": caller.version, **{f"new_{k}": v for k, v in values.items()}}
        )
        if saved.rowcount != 1:
            raise Conflict
        return caller.id

    async def _effects(
        self, connection: AsyncConnection, turn: Turn, caller_id: int, number: str, channel: str
    ) -> int:
        texts: list[dict[str, object]] = []
        can_text = not number.startswith(HIDDEN_PREFIX)
        for effect in turn.effects:
            if isinstance(effect, TextCaller) and can_text:
                texts += [outbox_values(caller_id, number, body) for body in sms.bodies(effect.turn, self.words)]
            elif isinstance(effect, RequestCallback):
                await connection.execute(
                    insert(CallbackRequest),
                    {"caller_id": caller_id, "channel": channel, "question": effect.question, "created_at": utcnow()},
                )
            elif isinstance(effect, OptOut):
                await opt_out(connection, caller_id)
        if turn.reminders is not None:
            await connection.execute(_REPLACE_REMINDERS, {"caller": caller_id})
            if can_text:
                texts += reminder_rows(turn.reminders, caller_id, number, self.words, self.zone)
        if texts:
            await connection.execute(insert(OutboxMessage), texts)
        return sum(1 for text in texts if text["kind"] == "reply")


# Statements built once: each webhook runs them, and SQLAlchemy caches their compiled form.
_REPLACE_REMINDERS = (
    update(OutboxMessage)
    .where(
        OutboxMessage.caller_id == bindparam("caller"),
        OutboxMessage.status == "pending",
        OutboxMessage.kind.in_(QUIET_KINDS),
    )
    .values(status="replaced")
)
_RECEIPT = select(WebhookReceipt.media_type, WebhookReceipt.body).where(WebhookReceipt.key == bindparam("key"))
_CALLER = select(
    Caller.id, Caller.state, Caller.answers, Caller.history, Caller.reprompts, Caller.opted_out,
    Caller.turns, Caller.version,
).where(Caller.number == bindparam("number"))

_SAVED = ("state", "answers", "history", "reprompts", "opted_out", "turns", "updated_at")
_SAVE = (
    update(Caller)
    .where(Caller.id == bindparam("id_"), Caller.version == bindparam("seen"))
    .values(version=Caller.version + 1, **{name: bindparam(f"new_{name}") for name in _SAVED})
)


def _conversation(caller: Row | None, number: str) -> Conversation:
    can_text = not number.startswith(HIDDEN_PREFIX)
    if caller is None:
        return Conversation(can_text=can_text)
    return Conversation(
        state=caller.state,
        answers=dict(caller.answers),
        history=list(caller.history),
        reprompts=caller.reprompts,
        opted_out=caller.opted_out,
        can_text=can_text,
    )
