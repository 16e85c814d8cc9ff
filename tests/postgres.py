"""A fresh PostgreSQL database per test, with the helpline's tables.

Import the fixture into a test module (`from tests.postgres import postgres_url`).
PostgreSQL must be running at 127.0.0.1:5432 (trust auth, user postgres, a
database `test`): a test that needs it fails, not skips, when it is not, so a
green run always means the PostgreSQL paths were tried.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from helpline.storage.database import create_tables, make_engine

HOST = "127.0.0.1:5432"


async def _admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(f"postgresql://postgres@{HOST}/test", timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        problem = error
    pytest.fail(
        f"PostgreSQL at {HOST} is not reachable: {problem!r}; start it with "
        "`pg_ctlcluster <version> main start` (see `pg_lsclusters`), with trust auth "
        "for user postgres and a database named test",
        pytrace=False,
    )


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of a new, empty database with the tables; dropped afterwards."""
    name = f"helpline_test_{uuid.uuid4().hex}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@{HOST}/{name}"
        engine = make_engine(url)
        await create_tables(engine)
        await engine.dispose()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
