"""SQLite's write-ahead log, copied into the database file away from the turns.

SQLite checkpoints the log by itself once it holds 1,000 pages, inside the
commit that crossed the mark. On the embedded database that commit is one
batch save of turns, and every other save waits for it (helpline.turns saves
one batch at a time), so the copy and its two fsyncs landed in the slowest
turns. Checkpointing on a timer, on another pooled connection (aiosqlite runs
it in that connection's thread), copies the pages while the saves go on; the
commit that crosses the mark then finds them copied already. SQLite's own
checkpoint stays on as the safety net, for processes that do not run this one
(the CLI, a worker on its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# Measured on 5 Dec 2026: 2,800 turns a second add about 2,800 pages a second
# to the log. Four checkpoints a second leave SQLite's own, when it crosses
# 1,000 pages, at most a quarter of a second's pages to copy. Ten a second
# measured no better.
CHECKPOINT_SECONDS = 0.25


async def checkpoint(database: AsyncEngine) -> None:
    """One PASSIVE checkpoint: it copies what no reader still needs, waits
    for no reader or writer, and no turn waits for it."""
    async with database.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


async def keep_checkpointed(database: AsyncEngine, stop: asyncio.Event, seconds: float = CHECKPOINT_SECONDS) -> None:
    """Checkpoint every `seconds` until `stop` is set. A failure is logged once,
    with its error, not four times a second for as long as it lasts (a full
    disk, a file made read-only); the next tick tries again, and the log says
    when checkpoints work again. Meanwhile SQLite's own checkpoint still
    bounds the log."""
    failures = 0
    while not stop.is_set():
        try:
            await checkpoint(database)
        except Exception:  # noqa: BLE001 - any failure: the next tick, or SQLite's own, will do
            failures += 1
            if failures == 1:
                log.exception("SQLite checkpoint failed; trying again every %s s", seconds)
            else:
                log.debug("SQLite checkpoint failed again (%d in a row)", failures)
        else:
            if failures:
                log.warning("SQLite checkpoints work again, after %d failed", failures)
            failures = 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
