"""Fresh, migrated databases for the benchmarks, dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import Iterator

import asyncpg

from helpline.storage.migrations import upgrade

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, migrated database of this kind; dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            upgrade(url)
            yield url
        return
    name = f"helpline_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def analyze(url: str) -> None:
    """What PostgreSQL's autovacuum does as tables grow (it is on by default and
    on every managed service, but off on the server this machine runs): gather
    the statistics its planner chooses plans by. Without them the turns'
    statements keep the plans they were given when the tables were empty, which
    scan whole tables: the server's CPU a turn then grows with the number of
    turns stored. SQLite gathers none unless asked, and the helpline does not
    ask, so on SQLite this does nothing."""
    if url.startswith("postgresql"):
        asyncio.run(_admin("ANALYZE", url.replace("+asyncpg", "")))


async def _admin(sql: str, url: str = POSTGRES_ADMIN) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
