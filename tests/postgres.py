"""PostgreSQL for the tests: a fresh database per test (`postgres_url`), or one
per run, emptied before each test (`shared_postgres`, used by conftest when the
suite runs with HELPLINE_TEST_DATABASE=postgres).

conftest registers this module's fixtures for every test: `postgres_url`, or
`empty_postgres_url` for a database with no tables.
PostgreSQL must be running at 127.0.0.1:5432 (trust auth, user postgres, a
database `test`): a test that needs it fails, not skips, when it is not, so a
green run always means the PostgreSQL paths were tried.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlmodel import SQLModel

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


async def as_admin(query: str, *args: object) -> object:
    """Run one statement on the server's `test` database; its first value."""
    admin = await _admin()
    try:
        return await admin.fetchval(query, *args)
    finally:
        await admin.close()


@pytest.fixture
async def empty_postgres_url() -> AsyncIterator[str]:
    """The URL of a new database with no tables; dropped afterwards."""
    name = f"helpline_test_{uuid.uuid4().hex}"
    await as_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@{HOST}/{name}"
    finally:
        await as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def postgres_url(empty_postgres_url: str) -> str:
    """The URL of a new, empty database with the tables; dropped afterwards."""
    engine = make_engine(empty_postgres_url)
    await create_tables(engine)
    await engine.dispose()
    return empty_postgres_url


class SharedPostgres:
    """One database for a whole test run, its tables emptied before each test
    (much faster than a database per test, for the ~600 tests that use one)."""

    def __init__(self) -> None:
        self.name = f"helpline_suite_{uuid.uuid4().hex}"
        self.url = f"postgresql+asyncpg://postgres@{HOST}/{self.name}"

    async def create(self) -> None:
        await as_admin(f'CREATE DATABASE "{self.name}"')
        engine = make_engine(self.url)
        await create_tables(engine)
        await engine.dispose()

    async def empty(self) -> None:
        connection = await asyncpg.connect(f"postgresql://postgres@{HOST}/{self.name}")
        try:
            tables = ", ".join(table.name for table in SQLModel.metadata.sorted_tables)
            await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY")
        finally:
            await connection.close()

    async def drop(self) -> None:
        await as_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def shared_postgres() -> Iterator[SharedPostgres]:
    database = SharedPostgres()
    asyncio.run(database.create())
    yield database
    asyncio.run(database.drop())
