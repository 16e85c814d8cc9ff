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


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
