"""SQLite's batch path writes through aiosqlite directly (storage.sqlite_driver):
what it writes must read back through SQLAlchemy exactly as if SQLAlchemy had
written it, and a statement missing a value must fail, not bind NULL."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from helpline.storage.database import create_tables, make_engine
from helpline.storage.models import WebhookReceipt
from helpline.storage.sqlite_driver import compiled, driver, stored_time
from helpline.storage.turn_batches import LoadedRow
from helpline.storage.turn_statements import LOAD, RECORD_RECEIPT

RECEIPT = compiled(RECORD_RECEIPT)
SUMMER = datetime(2027, 7, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))  # 08:30:15 UTC


async def test_a_time_the_driver_stores_reads_back_and_sorts_as_sqlalchemys_do(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    await create_tables(engine)
    try:
        async with engine.connect() as connection:
            later = SUMMER + timedelta(seconds=1)
            await connection.execute(insert(WebhookReceipt).values(
                key="by-sqlalchemy", caller_id=1, media_type="text/xml", body="", created_at=later,
            ))
            await connection.commit()
            db = await driver(connection)
            await db.executemany(RECEIPT.text, [RECEIPT.params(
                receipt_key="by-driver", caller_id=1, receipt_media_type="text/xml", receipt_body="",
                receipt_created_at=stored_time(SUMMER),
            )])
            await db.commit()
            stored = (await connection.execute(
                select(WebhookReceipt.key, WebhookReceipt.created_at).order_by(WebhookReceipt.created_at)
            )).all()
    finally:
        await engine.dispose()
    assert stored == [("by-driver", SUMMER), ("by-sqlalchemy", SUMMER + timedelta(seconds=1))]
    assert stored[0].created_at.tzinfo == timezone.utc


async def test_a_value_not_given_is_named_not_stored_as_null(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    await create_tables(engine)
    try:
        async with engine.connect() as connection:
            db = await driver(connection)
            with pytest.raises(sqlite3.ProgrammingError, match="receipt_created_at"):
                await db.executemany(RECEIPT.text, [RECEIPT.params(
                    receipt_key="k", caller_id=1, receipt_media_type="text/xml", receipt_body="",
                )])
    finally:
        await engine.dispose()


def test_a_loaded_row_names_the_loads_columns_in_their_order() -> None:
    """SQLite's load builds LoadedRow by position, as its driver gives tuples."""
    for load in LOAD.values():
        assert tuple(load.selected_columns.keys()) == LoadedRow._fields
