"""SQLite's write-ahead log is copied into the database file by the app's own
checkpoints, on a timer, not only by the commit that fills it. SQLite whatever
database the run tests: the checkpoints are SQLite's alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
from collections.abc import Callable
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
        await until(lambda: callers_in_the_file_alone(path, tmp_path) == 3, seconds=10)  # forty ticks


async def test_a_failing_checkpoint_is_logged_once_then_that_it_works_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A checkpoint that keeps failing (here: the database's folder is not
    there yet) is one error with its cause, not one every tick."""
    caplog.set_level(logging.DEBUG, logger="helpline.storage.checkpoints")
    folder = tmp_path / "not made yet"
    database = make_engine(f"sqlite+aiosqlite:///{folder / 'helpline.db'}")
    stop = asyncio.Event()
    checkpointing = asyncio.create_task(keep_checkpointed(database, stop, seconds=0.01))
    try:
        await until(lambda: len(logged(caplog, logging.DEBUG)) >= 3)
        folder.mkdir()
        await until(lambda: bool(logged(caplog, logging.WARNING)))
    finally:
        stop.set()
        await checkpointing
        await database.dispose()
    [error] = logged(caplog, logging.ERROR)
    assert error.getMessage() == "SQLite checkpoint failed; trying again every 0.01 s"
    assert "unable to open database file" in str(error.exc_info[1])
    [recovered] = logged(caplog, logging.WARNING)
    failed = int(recovered.getMessage().removeprefix("SQLite checkpoints work again, after ").split()[0])
    assert failed == 1 + len(logged(caplog, logging.DEBUG)) >= 4


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == level and r.name == "helpline.storage.checkpoints"]


async def until(condition: Callable[[], bool], seconds: float = 5) -> None:
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {seconds} s")
