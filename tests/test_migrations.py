"""The migrations build exactly the schema the models describe, on a fresh
database of each kind, and carry an older database's rows forward."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

from helpline.storage.database import make_engine
from helpline.storage.migrations import alembic_config, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("empty_postgres_url")


def _on(url: str, look: object) -> object:
    """`look(connection)` on a synchronous connection to the database."""
    async def run() -> object:
        engine = make_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(look)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _differences(connection: Connection) -> list[object]:
    return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


def _outbox_indexes(connection: Connection) -> set[str]:
    return {index["name"] for index in inspect(connection).get_indexes("outbox")}


def test_upgrade_from_nothing_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    assert set(_on(empty_url, lambda c: inspect(c).get_table_names())) >= {
        "callers", "outbox", "webhook_receipts", "callback_requests"}
    assert _on(empty_url, _differences) == [], "the models changed without a migration: run alembic revision --autogenerate"


def test_upgrade_twice_is_harmless(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)
    assert _on(empty_url, _differences) == []


def test_0002_keeps_the_queue_and_can_be_undone(empty_url: str) -> None:
    upgrade(empty_url, "0001")
    _on(empty_url, lambda c: c.execute(text(
        "INSERT INTO outbox (caller_id, \"to\", body, kind, status, due_at, attempts, created_at) "
        "VALUES (7, '+447700900123', 'Your deadline is near', 'reminder', 'pending', "
        "CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)")))
    assert "ix_outbox_caller_id" in _on(empty_url, _outbox_indexes)

    upgrade(empty_url)
    indexes = _on(empty_url, _outbox_indexes)
    assert "ix_outbox_caller_status" in indexes and "ix_outbox_caller_id" not in indexes
    rows = _on(empty_url, lambda c: c.execute(text("SELECT caller_id, body, status FROM outbox")).all())
    assert [tuple(row) for row in rows] == [(7, "Your deadline is near", "pending")]

    command.downgrade(alembic_config(empty_url), "0001")
    indexes = _on(empty_url, _outbox_indexes)
    assert "ix_outbox_caller_id" in indexes and "ix_outbox_caller_status" not in indexes


def test_0002_on_postgresql_finishes_what_an_interrupted_run_began(empty_postgres_url: str) -> None:
    """Its index is built outside a transaction: a run stopped after the build
    leaves the new index and the old one, and no new version stamp."""
    upgrade(empty_postgres_url, "0001")
    _on(empty_postgres_url, lambda c: c.execute(text(
        "CREATE INDEX ix_outbox_caller_status ON outbox (caller_id, status)")))
    upgrade(empty_postgres_url)
    indexes = _on(empty_postgres_url, _outbox_indexes)
    assert "ix_outbox_caller_status" in indexes and "ix_outbox_caller_id" not in indexes
    assert _on(empty_postgres_url, _differences) == []
