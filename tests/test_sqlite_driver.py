"""SQLite's batch path writes through aiosqlite directly (storage.sqlite_driver):
what it writes must read back through SQLAlchemy exactly as if SQLAlchemy had
written it, what it loads must be what SQLAlchemy would have read, a statement
missing a value must fail, not bind NULL, and a batch that fails must not leave
its half-done transaction on the connection the batches keep."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.config import Settings
from helpline.storage.database import create_tables, make_engine
from helpline.storage.models import Caller, WebhookReceipt
from helpline.storage.sqlite_driver import compiled, driver, stored_time
from helpline.storage.turn_batches import LoadedRow, load_sqlite
from helpline.storage.turn_statements import LOAD, RECORD_RECEIPT
from tests.conftest import Phone, running, sid

RECEIPT = compiled(RECORD_RECEIPT)
SUMMER = datetime(2027, 7, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))  # 08:30:15 UTC


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A SQLite database with the tables, whichever database the run tests."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    await create_tables(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sqlite_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The run's settings on a SQLite file, whichever database the run tests."""
    return replace(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}")


async def test_a_time_the_driver_stores_reads_back_and_sorts_as_sqlalchemys_do(engine: AsyncEngine) -> None:
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
    assert stored == [("by-driver", SUMMER), ("by-sqlalchemy", SUMMER + timedelta(seconds=1))]
    assert stored[0].created_at.tzinfo == timezone.utc


async def test_a_value_not_given_is_named_not_stored_as_null(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        db = await driver(connection)
        with pytest.raises(sqlite3.ProgrammingError, match="receipt_created_at"):
            await db.executemany(RECEIPT.text, [RECEIPT.params(
                receipt_key="k", caller_id=1, receipt_media_type="text/xml", receipt_body="",
            )])


def test_a_loaded_row_names_the_loads_columns_in_their_order() -> None:
    """SQLite's load builds LoadedRow by position, as its driver gives tuples."""
    for load in LOAD.values():
        assert tuple(load.selected_columns.keys()) == LoadedRow._fields


async def test_a_load_reads_what_sqlalchemy_reads(engine: AsyncEngine) -> None:
    """The driver's load comes back as one JSON text (turn_batches._as_one_row):
    quotes, newlines, emoji and markup, empty and missing values must come out
    as SQLAlchemy reads them from the rows themselves."""
    awkward = 'Brighton & Hove "council" \\ \n\t 😀 ✓ <b>'
    async with engine.connect() as connection:
        await connection.execute(insert(Caller), [
            _caller("+447700900001", state="dispute", answers={"who": awkward, "n": ["1", 2]},
                    history=["who", awkward], reprompts=2, turns=5, opted_out=True, version=7),
            _caller("+447700900002", state=None),
            _caller("+447700900003"),
        ])
        await connection.execute(insert(WebhookReceipt), [
            _receipt("SM1", 1, f"<Response>{awkward}</Response>"), _receipt("SM2", 1, ""),
            _receipt("SM9", 3, "not asked for"),
        ])
        await connection.commit()
        keys, numbers = ["SM1", "SM2", "SM3"], ["+447700900001", "+447700900002", "+447700900004"]
        by_sqlalchemy = (await connection.execute(
            LOAD["sqlite"], {"keys": keys, "numbers": numbers}
        )).all()
        by_driver = await load_sqlite(await driver(connection), keys, numbers)
    assert len(by_driver) == 3  # the first caller once per answered webhook, the second without one
    assert sorted(by_driver) == sorted(LoadedRow._make(row) for row in by_sqlalchemy)
    assert {type(row.opted_out) for row in by_driver} == {bool}


def _caller(number: str, **values: object) -> dict[str, object]:
    return {"number": number, "language": "en-GB", "state": "who", "answers": {}, "history": [], "reprompts": 0,
            "turns": 1, "opted_out": False, "version": 1, "created_at": SUMMER, "updated_at": SUMMER, **values}


def _receipt(key: str, caller_id: int, body: str) -> dict[str, object]:
    return {"key": key, "caller_id": caller_id, "media_type": "application/xml", "body": body, "created_at": SUMMER}


async def test_a_save_that_fails_leaves_nothing_behind_and_the_retry_is_answered(
    sqlite_settings: Settings, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch save that fails half-way gives back the connection the saves
    keep: left with its transaction open, the next save would commit the
    failed one's writes (or, as here, conflict with them for ever)."""
    async with running(sqlite_settings, clock) as (helpline, http):
        phone, other = Phone(http), Phone(http, number="+447700900555")
        await phone.text("hi")
        await other.text("hi")
        expected = await other.text("1")
        executemany = aiosqlite.Connection.executemany
        failed: list[str] = []

        async def fails_once(self: aiosqlite.Connection, sql: str, parameters: object) -> object:
            if "INSERT INTO webhook_receipts" in sql and not failed:  # after the callers' update
                failed.append(sql)
                raise sqlite3.OperationalError("disk I/O error")
            return await executemany(self, sql, parameters)

        monkeypatch.setattr(aiosqlite.Connection, "executemany", fails_once)
        webhook = sid("SM")
        with pytest.raises(sqlite3.OperationalError):
            await phone.text("1", message_sid=webhook)
        assert failed
        assert await phone.text("1", message_sid=webhook) == expected  # Twilio tries the webhook again
        assert await phone.text("1", message_sid=webhook) == expected  # and again: the same reply
        async with helpline.database.connect() as connection:
            turns = (await connection.execute(select(Caller.turns).where(Caller.number == phone.number))).scalar_one()
            receipts = (await connection.execute(select(func.count()).select_from(WebhookReceipt))).scalar_one()
        assert (turns, receipts) == (2, 4)


async def test_the_connections_the_batches_keep_are_given_back_at_shutdown(
    sqlite_settings: Settings, clock: list[datetime]
) -> None:
    out: set[int] = set()
    async with running(sqlite_settings, clock) as (helpline, http):
        pool = helpline.database.sync_engine.pool
        event.listen(pool, "checkout", lambda connection, _record, _proxy: out.add(id(connection)))
        event.listen(pool, "checkin", lambda connection, _record: out.discard(id(connection)))
        await Phone(http).text("hi")
        await Phone(http).text("hi")
        assert len(out) == 2  # the loads' and the saves', kept
    assert not out  # given back when the helpline closed
