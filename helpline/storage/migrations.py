"""Schema migrations with Alembic: `helpline db upgrade`, run by the Procfile's
release step in production and by `helpline serve` on the embedded SQLite."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["database_url"] = database_url  # not via the ini: no %-escaping
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`. Synchronous: call it outside an event loop."""
    command.upgrade(alembic_config(database_url), revision)
