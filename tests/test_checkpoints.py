"""SQLite's write-ahead log is copied into the database file by the app's own
checkpoints, on a timer, not only by the commit that fills it. SQLite whatever
database the run tests: the checkpoints are SQLite's alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from helpline.config import Settings
from helpline.helpline import build
from helpline.storage.checkpoints import keep_checkpointed
from helpline.storage.database import create_tables, make_engine
from helpline.web.app import create_app
from tests.conftest import Phone


def callers_in_the_file_alone(path: Path, folder: Path) -> int:
    """The callers a copy of the database file holds without its log: those
    the checkpoints have copied in."""
    alone = folder / "alone.db"
    shutil.copyfile(path, alone)
    try:
        with contextlib.closing(sqlite3.connect(alone)) as connection:
            return connection.execute("SELECT count(*) FROM callers").fetchone()[0]
    except sqlite3.DatabaseError:  # not even the tables yet, or copied mid-checkpoint
        return 0
    finally:
        alone.unlink()


async def test_the_apps_checkpoints_copy_each_turn_into_the_database_file(
    settings: Settings, clock: list[datetime], tmp_path: Path
) -> None:
    path = tmp_path / "checkpointed.db"
    helpline = build(replace(settings, database_url=f"sqlite+aiosqlite:///{path}"), clock=lambda: clock[0])
    await create_tables(helpline.database)
    app = create_app(helpline)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://internal") as http:
            for n in range(3):
                assert "SEND disagreement helpline" in await Phone(http, number=f"+44770090030{n}").text("hi")
        assert path.with_name(path.name + "-wal").stat().st_size > 0
        for _ in range(200):  # some forty ticks of the timer
            if callers_in_the_file_alone(path, tmp_path) == 3:
                break
            await asyncio.sleep(0.05)
        assert callers_in_the_file_alone(path, tmp_path) == 3


async def test_a_checkpoint_that_fails_is_logged_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'no such folder' / 'helpline.db'}")
    stop = asyncio.Event()
    checkpointing = asyncio.create_task(keep_checkpointed(database, stop, seconds=0.01))
    try:
        for _ in range(500):
            if len(failures(caplog)) >= 2:
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await checkpointing
        await database.dispose()
    logged = failures(caplog)
    assert len(logged) >= 2
    assert all(r.getMessage() == "SQLite checkpoint failed; trying again in 0.01 s" for r in logged)
    assert "unable to open database file" in str(logged[0].exc_info[1])


def failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "helpline.storage.checkpoints"]

