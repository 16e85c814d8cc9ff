"""The database: an async SQLAlchemy engine chosen by DATABASE_URL."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import orjson
from sqlalchemy import Text, bindparam, event, func
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from helpline.storage import models  # noqa: F401 - registers the tables


def json_text(value: object) -> str:
    """JSON text for the database: callers' answers and history, and a batch's
    callers on SQLite. orjson, not the standard library: every turn writes and
    reads them, and the standard library's was about 3% of a turn's CPU."""
    return orjson.dumps(value).decode()


class JSONList(TypeDecorator):
    """A list bound as one JSON array: SQLite's stand-in for an array parameter."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Iterable[object] | None, dialect: object) -> str | None:
        return None if value is None else json_text(list(value))


def listed(name: str) -> TableValuedAlias:
    """SQLite's list parameter `name`, as rows (key: the place in the list, value).
    Its statement's text is the same however many items the list holds; an
    expanding IN is a new statement for every length, compiled and prepared
    again and kept in each connection's cache (PostgreSQL uses arrays)."""
    return func.json_each(bindparam(name, type_=JSONList())).table_valued("key", "value")


# The JSON columns are written and read the same way on every database.
_JSON = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def make_engine(url: str, pool: int = 20) -> AsyncEngine:
    """SQLite waits for a busy writer (WAL, busy timeout) instead of failing at once.

    PostgreSQL keeps `pool` connections open and opens no more: a pool that
    overflows under load keeps opening and closing connections, which cost more
    than waiting for one. Processes x pool must stay under the server's
    max_connections. A connection the server dropped is found when a turn uses
    it; the turn is tried again (helpline.turns), so there is no ping per use.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **_JSON)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a crash of the app
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=pool, max_overflow=0, **_JSON)


T = TypeVar("T")
log = logging.getLogger(__name__)


def dropped(error: DBAPIError) -> bool:
    """The pooled connection was gone (the server restarted or failed over).
    SQLAlchemy has then discarded it and every connection pooled before it, so
    trying once more uses a new one."""
    return error.connection_invalidated


# PostgreSQL ended the statement to break a deadlock (two processes' batches of
# turns locking callers in different orders): running it again is the remedy.
DEADLOCK_DETECTED = "40P01"


def worth_another_try(error: DBAPIError) -> bool:
    """The statement failed for a reason that trying again fixes: a dropped
    connection, or a deadlock."""
    return dropped(error) or getattr(error.orig, "sqlstate", None) == DEADLOCK_DETECTED


async def once_more_if_dropped(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work`, and again if its connection had been dropped: the pool does
    not ping before each use (see make_engine)."""
    try:
        return await work()
    except DBAPIError as error:
        if not dropped(error):
            raise
        log.warning("database connection lost; trying again")
        return await work()


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
