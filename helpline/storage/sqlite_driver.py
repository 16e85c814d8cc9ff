"""SQLite's batch statements run on aiosqlite's connection itself, one call each.

Through SQLAlchemy a statement is four hops to the driver's thread (open a
cursor, execute, fetch, close), each a wake-up of that thread and then of the
event loop; a batch of turns took about fourteen. aiosqlite runs a statement
and fetches its rows in one hop, and the batches keep their connections
(HeldConnection): a load is one hop, a save one a statement and one to
commit. The statements are still
SQLAlchemy's, compiled once; values go in as SQLAlchemy would store them
(stored_time) and come out as SQLite keeps them. They bypass SQLAlchemy's
events and its echo of statements: the tests count them at aiosqlite.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import aiosqlite
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement

_NAMED = sqlite.dialect(paramstyle="named")


@dataclass(frozen=True)
class DriverStatement:
    """A statement's SQL for the sqlite3 driver, and the values compiled into it
    (SQLAlchemy binds even its literals as parameters)."""

    text: str
    fixed: Mapping[str, object]

    def params(self, **values: object) -> dict[str, object]:
        return {**self.fixed, **values}


def compiled(statement: ClauseElement) -> DriverStatement:
    """The statement for the driver. Its parameters without a value are left
    out of `fixed`, so one not given fails (sqlite3 names it) instead of
    binding NULL."""
    form = statement.compile(dialect=_NAMED)
    return DriverStatement(form.string, {name: value for name, value in form.params.items() if value is not None})


def stored_time(value: datetime) -> str:
    """An aware time as SQLAlchemy stores a UTCDateTime in SQLite: in UTC,
    without its zone, to the microsecond. Every time a statement compares
    (a text's due_at above all) must be written in this one form."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


async def driver(connection: AsyncConnection) -> aiosqlite.Connection:
    """The aiosqlite connection under SQLAlchemy's pooled one: SQLAlchemy still
    opens it (with the engine's pragmas) and rolls back whatever is left
    uncommitted when it goes back to the pool."""
    return (await connection.get_raw_connection()).driver_connection


class HeldConnection:
    """A pooled connection kept for one kind of batch (the loads, or the saves)
    for as long as it works, instead of taken from the pool for each batch.

    Why: returning a connection to the pool rolls it back, one more hop to the
    driver's thread on every batch's path, and under load each hop waits for
    the busy event loop's thread to let go of the GIL: a turn's answer waited
    for that rollback twice. A batch that fails gives the connection back to
    the pool, which rolls it back (or discards it if it is broken); the next
    batch takes another. Batches of one kind run one at a time (Coalesced), so
    one connection serves them all."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._held: tuple[AsyncConnection, aiosqlite.Connection] | None = None

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._held is None:
            connection = await self._engine.connect()
            try:
                self._held = (connection, await driver(connection))
            except BaseException:
                await connection.close()
                raise
        try:
            yield self._held[1]
        except BaseException:
            await self.release()
            raise

    async def release(self) -> None:
        """Give the connection back to the pool: after a failure, and at shutdown."""
        held, self._held = self._held, None
        if held is not None:
            await held[0].close()
