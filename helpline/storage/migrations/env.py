"""Alembic's entry point: migrate the database named by the helpline's settings."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from helpline.storage import models  # noqa: F401 - registers the tables

target_metadata = SQLModel.metadata
database_url: str = context.config.attributes["database_url"]


def _migrate(connection: Connection) -> None:
    # SQLite alters tables by copying them ("batch" mode); PostgreSQL directly.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run())
