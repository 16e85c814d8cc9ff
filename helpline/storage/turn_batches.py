"""Loading, and saving, the turns waiting at one moment together, one way per
database. A save says which turns were saved (by webhook key): a turn is left
out, to conflict and try again, when its caller was saved or created since it
loaded them.

Why together: a statement costs the web process far more than a row more in
it (a round trip and SQLAlchemy's execution on PostgreSQL, a hop to the
driver's thread on SQLite), and a busy helpline has many turns waiting at any
moment. helpline.turns sends at most one turn a caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import aiosqlite
import orjson
from sqlalchemy import JSON, Select, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from helpline.storage import turn_statements as sql
from helpline.storage.database import json_text
from helpline.storage.models import QUEUED, OutboxMessage
from helpline.storage.sqlite_driver import compiled, stored_time


class LoadedRow(NamedTuple):
    """A row of LOAD: a caller, and the reply a webhook of theirs already got."""

    id: int
    number: str
    state: str | None
    answers: dict
    history: list
    reprompts: int
    opted_out: bool
    turns: int
    version: int
    receipt_key: str | None
    media_type: str | None
    body: str | None


async def load_postgresql(connection: AsyncConnection, keys: Sequence[str], numbers: Sequence[str]) -> list[LoadedRow]:
    result = await connection.execute(sql.LOAD["postgresql"], {"keys": keys, "numbers": numbers})
    return [LoadedRow._make(row) for row in result]


async def save_postgresql(connection: AsyncConnection, turns: list[sql.WholeTurn]) -> set[str]:
    """One statement, atomic by itself (run it without a transaction)."""
    return set((await connection.execute(sql.SAVE_TURNS, sql.turns_values(turns))).scalars())


def _as_one_row(load: Select) -> Select:
    """The load's rows as one JSON array of arrays, in one row. sqlite3 lets go
    of the GIL for each row it steps to and must take it back, and under load
    the event loop's thread holds it nearly all the time: the driver's thread
    waited for it once a row, and the turns waited for the driver's thread.
    One row is one wait, and one orjson.loads in the event loop's thread."""
    rows = load.subquery()
    return select(func.json_group_array(func.json_array(
        *(func.json(column) if isinstance(column.type, JSON) else column for column in rows.c)
    )))


# SQLite's statements, run on the driver itself (storage.sqlite_driver).
_TIMES = ("due_at", "deadline_at", "created_at")  # a text's; deadline_at may be None
_LOAD = compiled(_as_one_row(sql.LOAD["sqlite"]))
_SAVE_CALLERS = compiled(sql.SQLITE_SAVE_CALLERS)
_CREATE_CALLERS = compiled(sql.SQLITE_CREATE_CALLERS)
_REPLACE_REMINDERS = compiled(sql.REPLACE_REMINDERS)
_RECORD_RECEIPT = compiled(sql.RECORD_RECEIPT)
_QUEUED_COLUMNS = ("caller_id", "to", "body", "kind", *_TIMES, *QUEUED)
_QUEUE_TEXT = compiled(insert(OutboxMessage).values({name: bindparam(name) for name in _QUEUED_COLUMNS}))


async def load_sqlite(db: aiosqlite.Connection, keys: Sequence[str], numbers: Sequence[str]) -> list[LoadedRow]:
    """LOAD's rows with the types SQLAlchemy would have given them: the JSON
    columns read, opted_out a bool."""
    ((rows,),) = await db.execute_fetchall(_LOAD.text, _LOAD.params(keys=json_text(keys), numbers=json_text(numbers)))
    return [
        LoadedRow(id_, number, state, answers, history, reprompts, bool(opted_out), *rest)
        for id_, number, state, answers, history, reprompts, opted_out, *rest in orjson.loads(rows)
    ]


async def save_sqlite(db: aiosqlite.Connection, turns: list[sql.WholeTurn]) -> set[str]:
    """One transaction: the callers saved or created, then for those written their
    reminders replaced, receipts and texts, each one statement for them all,
    stamped with the latest of the turns' times (the helpline's clock)."""
    now = stored_time(max(turn.values["new_updated_at"] for turn in turns))
    callers = {"turns": sql.turns_json(turns), "now": now}
    written = []
    if any(not turn.new_caller for turn in turns):
        written += await db.execute_fetchall(_SAVE_CALLERS.text, _SAVE_CALLERS.params(**callers))
    if any(turn.new_caller for turn in turns):  # a caller's first turn: seldom
        written += await db.execute_fetchall(_CREATE_CALLERS.text, _CREATE_CALLERS.params(**callers))
    ids = {number: id_ for id_, number in written}
    saved = [turn for turn in turns if turn.number in ids]
    replacing = [_REPLACE_REMINDERS.params(caller=ids[turn.number]) for turn in saved if turn.replace_reminders]
    if replacing:
        await db.executemany(_REPLACE_REMINDERS.text, replacing)
    if saved:
        await db.executemany(_RECORD_RECEIPT.text, [
            {**sql.receipt_of(turn), "receipt_created_at": now, "caller_id": ids[turn.number]} for turn in saved
        ])
    texts = [_stored_text(text, ids[turn.number]) for turn in saved for text in turn.texts]
    if texts:
        await db.executemany(_QUEUE_TEXT.text, texts)
    await db.commit()
    return {str(turn.values["receipt_key"]) for turn in saved}


def _stored_text(text: dict[str, object], caller_id: int) -> dict[str, object]:
    """An outbox row of outbox_values for the driver: its caller, its times as SQLite stores them."""
    times = {name: None if text[name] is None else stored_time(text[name]) for name in _TIMES}
    return {**text, **times, "caller_id": caller_id}
