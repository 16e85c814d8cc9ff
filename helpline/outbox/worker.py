"""The outbox worker: sends due messages in a process of its own (`helpline
worker`), so reminders go out on time without a webhook to set them off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from helpline.outbox.dispatch import Dispatcher

log = logging.getLogger(__name__)


async def run(dispatcher: Dispatcher, stop: asyncio.Event, poll_seconds: float = 1.0, batch: int = 100) -> None:
    """Send due messages until `stop` is set. While more are due it goes straight
    on; otherwise it looks again after `poll_seconds`. A database error is
    logged and tried again, so a restart of the database does not end the worker.
    The batch in hand when `stop` is set is finished first."""
    log.info("outbox worker %s: started", dispatcher.worker_id)
    while not stop.is_set():
        try:
            await dispatcher.send_due(batch)
            if await dispatcher.has_due():
                continue
        except* (SQLAlchemyError, OSError):
            log.exception("outbox worker %s: database error; trying again in %ss", dispatcher.worker_id, poll_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_seconds)
    log.info("outbox worker %s: stopped", dispatcher.worker_id)


async def drain(dispatcher: Dispatcher, batch: int = 100, now: datetime | None = None) -> int:
    """Send until nothing is due; returns how many were sent (tests, `helpline worker --drain`)."""
    sent = await dispatcher.send_due(batch, now)
    while await dispatcher.has_due(now):
        sent += await dispatcher.send_due(batch, now)
    return sent
