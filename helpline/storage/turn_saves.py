"""Saving the whole turns waiting at one moment together, one way per database:
which of them were saved (by webhook key). A turn is left out, to conflict and
try again, when its caller was saved or created since it loaded them.

Why together: a statement costs the web process far more than a row more in
it (a round trip and SQLAlchemy's execution on PostgreSQL, a handful of hops
to the driver's thread on SQLite), and a busy helpline has many turns waiting
at any moment. helpline.turns sends at most one turn a caller.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from helpline.storage import turn_statements as sql
from helpline.storage.models import OutboxMessage


async def save_postgresql(connection: AsyncConnection, turns: list[sql.WholeTurn]) -> set[str]:
    """One statement, atomic by itself (run it without a transaction)."""
    return set((await connection.execute(sql.SAVE_TURNS, sql.turns_values(turns))).scalars())


async def save_sqlite(connection: AsyncConnection, turns: list[sql.WholeTurn]) -> set[str]:
    """One transaction: the callers saved or created, then for those written their
    reminders replaced, receipts and texts, each one statement for them all,
    stamped with the latest of the turns' times (the helpline's clock)."""
    params = {"turns": sql.turns_json(turns), "now": max(turn.values["new_updated_at"] for turn in turns)}
    written = []
    if any(not turn.new_caller for turn in turns):
        written += (await connection.execute(sql.SQLITE_SAVE_CALLERS, params)).all()
    if any(turn.new_caller for turn in turns):  # a caller's first turn: seldom
        written += (await connection.execute(sql.SQLITE_CREATE_CALLERS, params)).all()
    ids = {row.number: row.id for row in written}
    saved = [turn for turn in turns if turn.number in ids]
    replacing = [{"caller": ids[turn.number]} for turn in saved if turn.replace_reminders]
    if replacing:
        await connection.execute(sql.REPLACE_REMINDERS, replacing)
    if saved:
        await connection.execute(
            sql.RECORD_RECEIPT,
            [{**sql.receipt_of(turn), "receipt_created_at": params["now"], "caller_id": ids[turn.number]} for turn in saved],
        )
    texts = [{**text, "caller_id": ids[turn.number]} for turn in saved for text in turn.texts]
    if texts:
        await connection.execute(insert(OutboxMessage), texts)
    await connection.commit()
    return {str(turn.values["receipt_key"]) for turn in saved}
