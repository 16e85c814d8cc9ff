"""The migrations build exactly the schema the models describe, on a fresh database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from helpline.storage.migrations import upgrade


def test_upgrade_from_nothing_matches_the_models(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= {"callers", "outbox", "webhook_receipts", "callback_requests"}
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == [], "the models changed without a migration: run alembic revision --autogenerate"


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'twice.db'}"
    upgrade(url)
    upgrade(url)
