"""Send what the outbox holds, from any number of processes at once.

A dispatcher claims a batch of due messages in one short transaction (status
"sending", its name, a lease), then sends them, each caller's in the order they
were due and several callers' at once, with no transaction open while Twilio
answers. Every later write is conditional on the claim still being its own, so
a message goes once although workers race or a STOP arrives between claiming
and sending. A worker that dies mid-batch leaves its claims to run out; another
worker then sends them, so a message it had in flight may go twice: at least
once, never lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Update, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.config import Settings
from helpline.outbox.quiet_hours import send_time
from helpline.outbox.senders import Sender, SendResult
from helpline.phone import mask_number
from helpline.rules.reminders import CHECK_IN, REMINDER
from helpline.storage.callers import opt_out
from helpline.storage.models import Caller, OutboxMessage, utcnow

log = logging.getLogger(__name__)

QUIET_KINDS = frozenset({REMINDER, CHECK_IN})  # replies and summaries answer the caller at once
IN_FLIGHT = 8  # messages one dispatcher has at Twilio at once, each to a different caller
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
UNSUBSCRIBED = 21610  # Twilio: the recipient texted STOP to our number


def _worker_id() -> str:
    """Unique per dispatcher, and says which host and process holds a claim."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    sender: Sender
    quiet_start: time = Settings.quiet_start
    quiet_end: time = Settings.quiet_end
    zone: ZoneInfo = field(default_factory=partial(ZoneInfo, Settings.timezone))
    status_callback_url: str | None = None
    lease: timedelta = timedelta(minutes=5)
    worker_id: str = field(default_factory=_worker_id)

    async def send_due(self, limit: int = 100, now: datetime | None = None) -> int:
        """Claim up to `limit` due messages and send them; returns how many were sent.

        `now` fixes the clock (tests); otherwise each step reads it afresh, so a
        long batch renews its claims against the real time.
        """
        clock: Callable[[], datetime] = utcnow if now is None else (lambda: now.astimezone(timezone.utc))
        queues: dict[int, list[int]] = {}  # each caller's messages, in the order they were due
        for message_id, caller_id in await self._claim(limit, clock()):
            queues.setdefault(caller_id, []).append(message_id)
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def send_in_turn(message_ids: list[int]) -> int:
            async with gate:
                return sum([await self._send(message_id, clock) for message_id in message_ids])

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(send_in_turn(message_ids)) for message_ids in queues.values()]
        return sum(task.result() for task in tasks)

    async def has_due(self, now: datetime | None = None) -> bool:
        """Whether any message could be claimed now."""
        moment = utcnow() if now is None else now.astimezone(timezone.utc)
        async with self.sessions() as session:
            found = await session.execute(select(OutboxMessage.id).where(_claimable(moment)).limit(1))
            return found.first() is not None

    async def _claim(self, limit: int, now: datetime) -> list[tuple[int, int]]:
        """Take up to `limit` claimable messages, oldest due first, in one short transaction.

        On PostgreSQL the rows are first locked FOR UPDATE SKIP LOCKED, so
        concurrent claims pass each other instead of queueing (as a subquery of
        the UPDATE its LIMIT is not kept: the plan may run it more than once).
        SQLite has no row locks, but runs the one UPDATE, subquery and all, under
        its single writer lock. Either way the UPDATE re-checks each row.
        """
        oldest = (
            select(OutboxMessage.id)
            .where(_claimable(now))
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
        )
        async with self.sessions() as session:
            chosen = OutboxMessage.id.in_(oldest)
            if session.bind.dialect.name == "postgresql":
                chosen = OutboxMessage.id.in_((await session.scalars(oldest.with_for_update(skip_locked=True))).all())
            claimed = await session.execute(
                update(OutboxMessage)
                .where(chosen, _claimable(now))
                .values(
                    status="sending",
                    claimed_by=self.worker_id,
                    claimed_until=now + self.lease,
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(OutboxMessage.id, OutboxMessage.caller_id, OutboxMessage.due_at)
                .execution_options(synchronize_session=False)
            )
            rows = claimed.all()
            await session.commit()
        return [(row.id, row.caller_id) for row in sorted(rows, key=lambda row: (row.due_at, row.id))]

    async def _send(self, message_id: int, clock: Callable[[], datetime]) -> int:
        message = await self._take(message_id, clock())
        if message is None:
            return 0
        result = await self.sender.send(message.to, message.body, status_callback=self.status_callback_url)
        await self._record(message, result, clock())
        return int(result.ok)

    async def _take(self, message_id: int, now: datetime) -> OutboxMessage | None:
        """Renew this worker's claim for the send; the message, if it should go now.

        None when the claim was lost (cancelled by a STOP, or expired and taken
        over), the caller has opted out since it was queued (it is cancelled), or
        quiet hours hold it back (it goes back to pending, due when they end).
        """
        caller_opted_out = select(Caller.opted_out).where(Caller.id == OutboxMessage.caller_id).scalar_subquery()
        async with self.sessions() as session:
            renewed = await session.execute(
                self._mine(message_id)
                .where(OutboxMessage.claimed_until > now)
                .values(claimed_until=now + self.lease)
                .returning(OutboxMessage, caller_opted_out)
            )
            taken = renewed.one_or_none()
            if taken is None:
                return None
            message, opted_out = taken
            later = self._quiet_until(message, now)
            if opted_out:
                log.info("outbox %s to %s: cancelled, the caller has opted out", message_id, mask_number(message.to))
                await session.execute(self._mine(message_id).values(status="cancelled"))
            elif later is not None:
                log.info("outbox %s to %s: quiet hours, due again at %s", message_id, mask_number(message.to), later)
                await session.execute(
                    self._mine(message_id).values(
                        status="pending",
                        due_at=later,
                        attempts=OutboxMessage.attempts - 1,  # held back, not tried
                        claimed_by=None,
                        claimed_until=None,
                    )
                )
            await session.commit()
        return None if opted_out or later is not None else message

    def _quiet_until(self, message: OutboxMessage, now: datetime) -> datetime | None:
        """When quiet hours end for this message, if they hold it back now."""
        if message.kind not in QUIET_KINDS:
            return None
        when = send_time(now, message.deadline_at, self.quiet_start, self.quiet_end, self.zone)
        return when if when > now else None

    async def _record(self, message: OutboxMessage, result: SendResult, now: datetime) -> None:
        to = mask_number(message.to)
        if result.ok:
            log.info("outbox %s to %s: sent %s", message.id, to, result.sid)
            # Also over a STOP's cancel that came while it was in flight: it went all the same.
            outcome = self._mine(message.id, ("sending", "cancelled")).values(
                status="sent", sid=result.sid, sent_at=now, error_code=None
            )
        elif result.permanent or message.attempts >= MAX_ATTEMPTS:
            log.warning("outbox %s to %s: failed on attempt %s: %s %s",
                        message.id, to, message.attempts, result.error_code, result.error_message)
            outcome = self._mine(message.id).values(status="failed", error_code=result.error_code)
        else:
            retry = now + _backoff(message.attempts)
            log.info("outbox %s to %s: %s %s, trying again at %s",
                     message.id, to, result.error_code, result.error_message, retry)
            outcome = self._mine(message.id).values(
                status="pending", error_code=result.error_code, due_at=retry, claimed_by=None, claimed_until=None
            )
        async with self.sessions() as session:
            recorded = await session.execute(outcome)
            if recorded.rowcount != 1:
                log.warning("outbox %s to %s: claim lost while sending; outcome not recorded", message.id, to)
            if result.error_code == UNSUBSCRIBED:
                await opt_out(session, message.caller_id)
            await session.commit()

    def _mine(self, message_id: int, statuses: tuple[str, ...] = ("sending",)) -> Update:
        """An UPDATE of the message only while this worker's claim on it stands:
        one that expired and was taken over by another worker is left alone."""
        return (
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.claimed_by == self.worker_id,
                OutboxMessage.status.in_(statuses),
            )
            .execution_options(synchronize_session=False)
        )


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due and pending, or claimed by a worker whose lease has run out."""
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.due_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def _backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_CAP)

