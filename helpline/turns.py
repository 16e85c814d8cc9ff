"""One webhook, one turn, stored atomically: load the caller, let the engine decide,
save the new state with the reply and its side effects, or retry if someone else
saved first.

Why optimistic locking: it serialises one caller's turns the same way on SQLite
and on PostgreSQL, across any number of processes, without holding a lock while
the engine runs. Two texts arriving at once both get applied, one after the other.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.channels import sms
from helpline.channels.words import Words
from helpline.engine.conversation import Conversation
from helpline.engine.engine import Engine
from helpline.engine.intents import Intent
from helpline.engine.turn import OptOut, RequestCallback, Schedule, TextCaller, Turn
from helpline.outbox.dispatch import QUIET_KINDS
from helpline.outbox.schedule import reminder_rows
from helpline.storage.callers import opt_out
from helpline.storage.models import Caller, CallbackRequest, OutboxMessage, WebhookReceipt, utcnow

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
    sessions: async_sessionmaker[AsyncSession]
    engine: Engine
    words: Words
    zone: ZoneInfo

    async def run(
        self, key: str, number: str, intent: Intent, today: date, render: Render, media_type: str
    ) -> Reply:
        """Process one webhook exactly once; a retry of it gets the first reply back."""
        for attempt in range(MAX_ATTEMPTS):
            async with self.sessions() as session:
                receipt = await session.get(WebhookReceipt, key)
                if receipt is not None:
                    return Reply(receipt.media_type, receipt.body)
                try:
                    return await self._attempt(session, key, number, intent, today, render, media_type)
                except Conflict:
                    await session.rollback()
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise RuntimeError(f"turn {key} lost {MAX_ATTEMPTS} races in a row")

    async def _attempt(
        self,
        session: AsyncSession,
        key: str,
        number: str,
        intent: Intent,
        today: date,
        render: Render,
        media_type: str,
    ) -> Reply:
        caller = (await session.execute(select(Caller).where(Caller.number == number))).scalar_one_or_none()
        conv = _conversation(caller, number)
        turn = self.engine.step(conv, intent, today)
        turns = (caller.turns if caller else 0) + 1
        body = render(turn, turns)
        caller_id = await self._save_caller(session, caller, number, conv, turns)
        session.add(WebhookReceipt(key=key, caller_id=caller_id, media_type=media_type, body=body))
        queued = await self._effects(session, turn, caller_id, number, intent.channel)
        try:
            await session.commit()
        except IntegrityError as error:
            raise Conflict from error
        return Reply(media_type, body, queued)

    async def _save_caller(
        self, session: AsyncSession, caller: Caller | None, number: str, conv: Conversation, turns: int
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
            new = Caller(number=number, **values)
            session.add(new)
            try:
                await session.flush()
            except IntegrityError as error:
                raise Conflict from error
            return new.id
        saved = await session.execute(
            update(Caller)
            .where(Caller.id == caller.id, Caller.version == caller.version)
            .values(version=caller.version + 1, **values)
        )
        if saved.rowcount != 1:
            raise Conflict
        return caller.id

    async def _effects(
        self, session: AsyncSession, turn: Turn, caller_id: int, number: str, channel: str
    ) -> int:
        queued = 0
        for effect in turn.effects:
            if isinstance(effect, TextCaller) and not number.startswith(HIDDEN_PREFIX):
                body = sms.body(effect.turn, self.words)
                session.add(OutboxMessage(caller_id=caller_id, to=number, body=body))
                queued += 1
            elif isinstance(effect, RequestCallback):
                session.add(CallbackRequest(caller_id=caller_id, channel=channel, question=effect.question))
            elif isinstance(effect, Schedule):
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.caller_id == caller_id,
                        OutboxMessage.status == "pending",
                        OutboxMessage.kind.in_(QUIET_KINDS),
                    )
                    .values(status="replaced")
                )
                if not number.startswith(HIDDEN_PREFIX):
                    session.add_all(reminder_rows(effect.reminders, caller_id, number, self.words, self.zone))
            elif isinstance(effect, OptOut):
                await opt_out(session, caller_id)
        return queued


def _conversation(caller: Caller | None, number: str) -> Conversation:
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
