"""One webhook, one turn, stored atomically: load the caller, let the engine decide,
save the new state with the reply and its side effects, or retry if someone else
saved first. The turns waiting at one moment load their callers together, in
one statement, and save together (storage.turn_batches).

Why optimistic locking: it serialises one caller's turns the same way on SQLite
and on PostgreSQL, across any number of processes, without holding a lock while
the engine runs. Two texts arriving at once both get applied, one after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from helpline.channels import sms
from helpline.channels.words import Words
from helpline.coalesced import Coalesced
from helpline.engine.conversation import Conversation
from helpline.engine.engine import Engine
from helpline.engine.intents import Intent
from helpline.engine.turn import OptOut, RequestCallback, TextCaller, Turn
from helpline.outbox.schedule import reminder_rows
from helpline.storage import turn_batches
from helpline.storage import turn_statements as sql
from helpline.storage.callers import opt_out
from helpline.storage.database import worth_another_try
from helpline.storage.models import CallbackRequest, OutboxMessage, outbox_values
from helpline.storage.sqlite_driver import HeldConnection
from helpline.storage.turn_batches import LoadedRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 50
HIDDEN_PREFIX = "hidden:"

# Renders the turn for the channel; gets the caller's turn count after this turn.
Render = Callable[[Turn, int], str]


@dataclass(frozen=True)
class Reply:
    media_type: str
    body: str
    texts_queued: int = 0


# A turn's caller as loaded (None if new), and the reply already given to its
# webhook (None if this is its first delivery).
Loaded = tuple[LoadedRow | None, Reply | None]


class Conflict(Exception):
    """Another turn for this caller, or the same webhook, was saved first."""


@dataclass
class TurnRunner:
    database: AsyncEngine
    engine: Engine
    words: Words
    zone: ZoneInfo

    def __post_init__(self) -> None:
        sqlite = self.database.dialect.name == "sqlite"
        # SQLite has one writer at a time: taking turns here, in the process, is
        # cheaper than contending for its file lock (whose busy handler sleeps).
        # PostgreSQL needs no such thing: the version check serialises a caller.
        self._one_at_a_time = asyncio.Lock() if sqlite else contextlib.nullcontext()
        # The turns waiting at one moment save together (those that ask for a
        # callback or opt out save alone, in a transaction). On PostgreSQL in one
        # statement, atomic by itself, so without a transaction (BEGIN and
        # COMMIT are round trips too); on SQLite in one transaction. Loads too
        # run without one on PostgreSQL. On SQLite the loads and the saves each
        # keep a connection (storage.sqlite_driver.HeldConnection).
        self._held: tuple[HeldConnection, ...] = ()
        if sqlite:
            self._held = (HeldConnection(self.database), HeldConnection(self.database))
            self._load_connection, self._save_connection = (held.use for held in self._held)
            self._load_batch, self._save_batch = turn_batches.load_sqlite, turn_batches.save_sqlite
        else:
            autocommit = self.database.execution_options(isolation_level="AUTOCOMMIT")
            self._load_connection = self._save_connection = autocommit.connect
            self._load_batch, self._save_batch = turn_batches.load_postgresql, turn_batches.save_postgresql
        self._load: Coalesced[tuple[str, str], Loaded] = Coalesced(self._load_all)
        self._save_whole: Coalesced[sql.WholeTurn, bool] = Coalesced(self._save_all)

    async def run(
        self, key: str, number: str, intent: Intent, now: datetime, render: Render, media_type: str
    ) -> Reply:
        """Process one webhook exactly once; a retry of it gets the first reply back.
        `now` is the helpline's clock (local time): the engine's today, and the
        time the turn's texts are queued for, so that the dispatcher, which
        reads the same clock, finds them due."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return await self._attempt(key, number, intent, now, render, media_type)
            except Conflict:
                pass
            except DBAPIError as error:
                if not worth_another_try(error):
                    raise
                log.warning("turn %s: %s; trying it again", key, type(error.orig).__name__)
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise RuntimeError(f"turn {key} lost {MAX_ATTEMPTS} races in a row")

    async def close(self) -> None:
        """Give back the connections SQLite's batches keep, at shutdown."""
        for held in self._held:
            await held.release()

    async def _load_all(self, wanted: list[tuple[str, str]]) -> list[Loaded]:
        """The callers of all the turns waiting to load (webhook key, number), and
        the replies already given to those webhooks, in one statement: a
        statement costs the web process far more than a row more in it."""
        keys, numbers = zip(*wanted)
        async with self._load_connection() as connection:
            rows = await self._load_batch(connection, keys, numbers)
        callers = {row.number: row for row in rows}
        answered = {(row.receipt_key, row.number): Reply(row.media_type, row.body) for row in rows if row.receipt_key}
        return [(callers.get(number), answered.get((key, number))) for key, number in wanted]

    async def _attempt(
        self, key: str, number: str, intent: Intent, now: datetime, render: Render, media_type: str
    ) -> Reply:
        loaded, answered = await self._load((key, number))
        if answered is not None:
            return answered
        conv = _conversation(loaded, number)
        turn = self.engine.step(conv, intent, now.date())
        turns = (loaded.turns if loaded else 0) + 1
        stored_at = now.astimezone(timezone.utc)
        body = render(turn, turns)
        texts = queued_texts(turn, number, self.words, self.zone, stored_at)
        values = {
            **self._which_caller(loaded, number),
            **sql.caller_values(conv, turns, stored_at),
            **sql.receipt_values(key, media_type, body, stored_at),
        }
        if all(isinstance(effect, TextCaller) for effect in turn.effects):
            if not await self._save_whole(sql.WholeTurn(number, values, texts, turn.reminders is not None)):
                raise Conflict
        else:  # a callback or an opt-out: alone, in a transaction
            async with self._one_at_a_time, self.database.connect() as connection:
                await self._save(connection, loaded, turn, texts, values, stored_at)
        return Reply(media_type, body, _replies(texts))

    def _which_caller(self, loaded: LoadedRow | None, number: str) -> dict[str, object]:
        """The parameters naming the caller a turn writes: a new one (for CREATE),
        or the version of one it loaded (for SAVE)."""
        if loaded is None:
            return {"number": number, "language": self.engine.catalogue.language}
        return {"id_": loaded.id, "seen": loaded.version}

    async def _save_all(self, turns: list[sql.WholeTurn]) -> list[bool]:
        """The whole turns waiting at one moment, saved together; which were.
        One turn a caller goes in (in number order, so batches from several
        processes lock callers in one order); a caller's other turns come back
        unsaved, as if they had lost the race, and try again."""
        first: dict[str, sql.WholeTurn] = {}
        for turn in turns:
            first.setdefault(turn.number, turn)
        batch = sorted(first.values(), key=lambda turn: turn.number)
        async with self._one_at_a_time, self._save_connection() as connection:
            saved = await self._save_batch(connection, batch)
        return [first[turn.number] is turn and turn.values["receipt_key"] in saved for turn in turns]

    async def _save(
        self, connection: AsyncConnection, loaded: LoadedRow | None, turn: Turn, texts: list[dict[str, object]],
        values: dict[str, object], now: datetime,
    ) -> None:
        """The caller, the receipt and the turn's side effects, in one transaction."""
        try:
            if loaded is None:
                caller_id = (await connection.execute(sql.CREATE, values)).scalar_one()
            else:
                saved = await connection.execute(sql.SAVE, values)
                if saved.rowcount != 1:
                    raise Conflict
                caller_id = loaded.id
            await connection.execute(sql.RECORD_RECEIPT, {"caller_id": caller_id, **values})
            await self._effects(connection, turn, caller_id, texts, now)
            await connection.commit()
        except IntegrityError as error:
            # The same new caller's other message, or Twilio's retry of this
            # webhook, was saved first.
            raise Conflict from error

    async def _effects(
        self, connection: AsyncConnection, turn: Turn, caller_id: int, texts: list[dict[str, object]], now: datetime
    ) -> None:
        for effect in turn.effects:
            if isinstance(effect, RequestCallback):
                await connection.execute(
                    insert(CallbackRequest),
                    {"caller_id": caller_id, "channel": turn.channel, "question": effect.question, "created_at": now},
                )
            elif isinstance(effect, OptOut):
                await opt_out(connection, caller_id, now)
        if turn.reminders is not None:
            await connection.execute(sql.REPLACE_REMINDERS, {"caller": caller_id})
        if texts:
            await connection.execute(insert(OutboxMessage), [{**text, "caller_id": caller_id} for text in texts])


def queued_texts(turn: Turn, number: str, words: Words, zone: ZoneInfo, now: datetime) -> list[dict[str, object]]:
    """The texts a turn queues, none to a hidden number: its replies to be sent
    as texts, then its reminders. The caller's id is filled in on saving."""
    if number.startswith(HIDDEN_PREFIX):
        return []
    texts = [
        outbox_values(None, number, body, now)
        for effect in turn.effects
        if isinstance(effect, TextCaller)
        for body in sms.bodies(effect.turn, words)
    ]
    if turn.reminders is not None:
        texts += reminder_rows(turn.reminders, number, words, zone, now)
    return texts


def _replies(texts: list[dict[str, object]]) -> int:
    """How many of a turn's texts are replies, which the web process sends at once."""
    return sum(1 for text in texts if text["kind"] == "reply")


def _conversation(caller: LoadedRow | None, number: str) -> Conversation:
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
