"""SQLite's batch statements run on aiosqlite's connection itself, one call each.

Through SQLAlchemy a statement is four hops to the driver's thread (open a
cursor, execute, fetch, close), each a wake-up of that thread and then of the
event loop; a batch of turns took about fourteen. aiosqlite runs a statement
and fetches its rows in one hop: a batch now takes six, and a turn 16% fewer
instructions (callgrind) and 20% less CPU. The statements are still
SQLAlchemy's, compiled once; values go in as SQLAlchemy would store them
(stored_time) and come out as SQLite keeps them. They bypass SQLAlchemy's
events and its echo of statements: the tests count them at aiosqlite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import aiosqlite
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
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
