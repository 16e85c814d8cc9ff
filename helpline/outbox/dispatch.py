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
from functools import cached_property, partial
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY, ColumnElement, Integer, Row, Select, String, Update, and_, any_, bindparam, exists, func, or_, select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from helpline.coalesced import Coalesced
from helpline.config import Settings
from helpline.outbox.quiet_hours import send_time
from helpline.outbox.senders import Sender, SendResult
from helpline.phone import mask_number
from helpline.rules.reminders import CHECK_IN, REMINDER
from helpline.storage.callers import OPTED_OUT_AT_TWILIO, opt_out
from helpline.storage.database import listed
from helpline.storage.models import Caller, OutboxMessage, one_of, utcnow

log = logging.getLogger(__name__)

QUIET_KINDS = frozenset({REMINDER, CHECK_IN})  # replies and summaries answer the caller at once
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)


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
    # Messages at Twilio at once, each to a different caller. A send mostly
    # waits on the network, so this sets a worker's pace; it is also how many a
    # killed worker may leave sent but unrecorded, to be sent again when their
    # claims run out. Every process's sends count against the Twilio account's
    # limit on concurrent API requests (error 20429).
    in_flight: int = Settings.sends_in_flight
    worker_id: str = field(default_factory=_worker_id)
    # The helpline's clock, in UTC: what is due is due by the same clock the
    # turns that queued it read.
    clock: Callable[[], datetime] = utcnow

    async def send_due(self, limit: int = 100, now: datetime | None = None) -> int:
        """Claim up to `limit` due messages and send them; returns how many were sent.

        `now` fixes the clock (tests); otherwise each step reads `clock` afresh,
        so a long batch renews its claims against the time as it passes.

        Each message is still taken (its claim renewed and re-checked) just before
        it is sent and recorded just after, but the takes, and the records, of the
        messages in flight at the same moment share one statement and transaction.
        """
        clock = self.clock if now is None else (lambda: now.astimezone(timezone.utc))
        queues: dict[int, list[int]] = {}  # each caller's messages, in the order they were due
        for message_id, caller_id in await self._claim(limit, clock()):
            queues.setdefault(caller_id, []).append(message_id)
        if not queues:
            return 0
        gate = asyncio.Semaphore(self.in_flight)
        take = Coalesced(partial(self._take_all, clock=clock))
        record = Coalesced(partial(self._record_all, clock=clock))

        async def send_one(message_id: int) -> int:
            message = await take(message_id)
            if message is None:
                return 0
            result = await self.sender.send(message.to, message.body, status_callback=self.status_callback_url)
            await record((message, result))
            return int(result.ok)

        async def send_in_turn(message_ids: list[int]) -> int:
            async with gate:
                return sum([await send_one(message_id) for message_id in message_ids])

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(send_in_turn(message_ids)) for message_ids in queues.values()]
        sent = sum(task.result() for task in tasks)
        log.info("outbox %s: sent %s of %s claimed", self.worker_id, sent, sum(map(len, queues.values())))
        return sent

    async def send_soon(self) -> None:
        """Send what is due now, after a webhook queued texts. The webhooks of
        the same moment share one run; one that comes during a run waits for the
        next, since the run may have claimed before its texts were saved. So a
        busy web process runs one claim at a time, not one per webhook."""
        await self._soon(None)

    @cached_property
    def _soon(self) -> Coalesced:
        async def one_run(webhooks: list[None]) -> list[None]:
            await self.send_due()
            return [None] * len(webhooks)

        return Coalesced(one_run)

    @property
    def _engine(self) -> AsyncEngine:
        return self.sessions.kw["bind"]

    @cached_property
    def _each_statement(self) -> AsyncEngine:
        """The engine without transactions: each statement commits by itself.
        For takes and records, whose every statement re-checks that the row is
        still this worker's, so none depends on another having run: BEGIN and
        COMMIT would only add two round trips."""
        return self._engine.execution_options(isolation_level="AUTOCOMMIT")

    async def has_due(self, now: datetime | None = None) -> bool:
        """Whether any message could be claimed now."""
        moment = self.clock() if now is None else now.astimezone(timezone.utc)
        async with self._engine.connect() as connection:
            return bool((await connection.execute(_HAS_DUE, {"now": moment})).scalar_one())

    async def _claim(self, limit: int, now: datetime) -> list[tuple[int, int]]:
        """Take up to `limit` claimable messages, oldest due first, in one short transaction.

        On PostgreSQL the rows are first locked FOR UPDATE SKIP LOCKED, so
        concurrent claims pass each other instead of queueing (as a subquery of
        the UPDATE its LIMIT is not kept: the plan may run it more than once):
        expired claims first, then due messages, each read in order from the index.
        SQLite has no row locks, but runs the one UPDATE, subquery and all, under
        its single writer lock. Either way the UPDATE re-checks each row.
        """
        params = {"now": now, "limit": limit, "me": self.worker_id, "until": now + self.lease}
        async with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                ids = list((await connection.execute(_OLDEST_EXPIRED_LOCKED, params)).scalars())
                ids += (await connection.execute(_OLDEST_DUE_LOCKED, {**params, "limit": limit - len(ids)})).scalars()
                if not ids:
                    return []
                claimed = await connection.execute(_CLAIM_IDS, {**params, "ids": ids})
            else:
                claimed = await connection.execute(_CLAIM_OLDEST, params)
            rows = claimed.all()
        return [(row.id, row.caller_id) for row in sorted(rows, key=lambda row: (row.due_at, row.id))]

    async def _take_all(self, message_ids: list[int], clock: Callable[[], datetime]) -> list[Row | None]:
        """Renew this worker's claims for the send; for each message, its row
        if it should go now.

        None when the claim was lost (cancelled by a STOP, or expired and taken
        over), the caller has opted out since it was queued (it is cancelled), or
        quiet hours hold it back (it goes back to pending, due when they end).
        """
        now = clock()
        async with self._each_statement.connect() as connection:
            statements = _for(connection)
            renewed = await connection.execute(
                statements.take, {"ids": message_ids, "me": self.worker_id, "now": now, "until": now + self.lease}
            )
            taken = {row.id: row for row in renewed}
            cancelled, held = [], []
            for row in taken.values():
                if row.opted_out:
                    log.info("outbox %s to %s: cancelled, the caller has opted out", row.id, mask_number(row.to))
                    cancelled.append(row.id)
                elif (later := self._quiet_until(row, now)) is not None:
                    log.info("outbox %s to %s: quiet hours, due again at %s", row.id, mask_number(row.to), later)
                    held.append({"mid": row.id, "me": self.worker_id, "later": later})
            if cancelled:
                await connection.execute(statements.cancel, {"ids": cancelled, "me": self.worker_id})
            if held:
                await connection.execute(_HOLD_MINE, held)
        gone = set(cancelled) | {hold["mid"] for hold in held}
        return [None if message_id in gone else taken.get(message_id) for message_id in message_ids]

    def _quiet_until(self, message: Row | OutboxMessage, now: datetime) -> datetime | None:
        """When quiet hours end for this message, if they hold it back now."""
        if message.kind not in QUIET_KINDS:
            return None
        when = send_time(now, message.deadline_at, self.quiet_start, self.quiet_end, self.zone)
        return when if when > now else None

    async def _record_all(self, outcomes: list[tuple[Row, SendResult]], clock: Callable[[], datetime]) -> list[None]:
        """Record the outcomes of sends, together; but an outcome that opts its
        caller out is recorded in a transaction of its own (it also cancels the
        caller's other messages), so it locks no other caller's rows."""
        now = clock()
        alone = [outcome for outcome in outcomes if outcome[1].error_code == OPTED_OUT_AT_TWILIO]
        together = [outcome for outcome in outcomes if outcome[1].error_code != OPTED_OUT_AT_TWILIO]
        if together:
            sent = {message.id: (message, result) for message, result in together if result.ok}
            async with self._each_statement.connect() as connection:
                if sent:
                    await self._record_sent(connection, list(sent.values()), now)
                for message, result in together:
                    if not result.ok:
                        await self._record(connection, message, result, now)
        for message, result in alone:
            async with self._engine.begin() as connection:
                await self._record(connection, message, result, now)
        return [None] * len(outcomes)

    async def _record_sent(self, connection: AsyncConnection, sent: list[tuple[Row, SendResult]], now: datetime) -> None:
        """`_record` for messages that went, in one statement: each its own sid."""
        for message, result in sent:
            log.debug("outbox %s to %s: sent %s", message.id, mask_number(message.to), result.sid)
        ids, sids = [message.id for message, _ in sent], [result.sid for _, result in sent]
        recorded = await connection.execute(
            _for(connection).sent, {"ids": ids, "sids": sids, "me": self.worker_id, "at": now}
        )
        kept = set(recorded.scalars().all())
        for message, _ in sent:
            if message.id not in kept:
                log.warning("outbox %s to %s: claim lost while sending; outcome not recorded",
                            message.id, mask_number(message.to))

    async def _record(self, connection: AsyncConnection, message: Row, result: SendResult, now: datetime) -> None:
        to = mask_number(message.to)
        if result.ok:
            log.debug("outbox %s to %s: sent %s", message.id, to, result.sid)
            outcome, params = _SENT_MINE, {"new_sid": result.sid, "at": now}
        elif result.permanent or message.attempts >= MAX_ATTEMPTS:
            log.warning("outbox %s to %s: failed on attempt %s: %s %s",
                        message.id, to, message.attempts, result.error_code, result.error_message)
            outcome, params = _FAILED_MINE, {"code": result.error_code}
        else:
            retry = now + _backoff(message.attempts)
            log.info("outbox %s to %s: %s %s, trying again at %s",
                     message.id, to, result.error_code, result.error_message, retry)
            outcome, params = _RETRY_MINE, {"code": result.error_code, "retry": retry}
        recorded = await connection.execute(outcome, {"mid": message.id, "me": self.worker_id, **params})
        if recorded.rowcount != 1:
            log.warning("outbox %s to %s: claim lost while sending; outcome not recorded", message.id, to)
        if result.error_code == OPTED_OUT_AT_TWILIO:
            await opt_out(connection, message.caller_id, now)


def _backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_CAP)


# Core statements, built once: SQLAlchemy compiles each once and caches it.
_outbox = OutboxMessage.__table__
_callers = Caller.__table__
_DUE = and_(_outbox.c.status == "pending", _outbox.c.due_at <= bindparam("now"))
# Claimed by a worker whose lease has run out (it died, or hung).
_EXPIRED = and_(_outbox.c.status == "sending", _outbox.c.claimed_until < bindparam("now"))
_CLAIMABLE = or_(_DUE, _EXPIRED)
# Asked apart, each is one look in ix_outbox_oldest; with an OR, PostgreSQL may
# scan the outbox (most of which, in time, is messages long sent).
_HAS_DUE = select(or_(exists().where(_DUE), exists().where(_EXPIRED)))


def _oldest(which: ColumnElement[bool]) -> Select:
    """In the order of ix_outbox_oldest (status, due_at, id): read from the
    index, with one status, the claim stops at its limit instead of sorting
    every due message (reminders share their due_at)."""
    return select(_outbox.c.id).where(which).order_by(_outbox.c.due_at, _outbox.c.id).limit(
        bindparam("limit", type_=Integer)
    )


_OLDEST_EXPIRED_LOCKED = _oldest(_EXPIRED).with_for_update(skip_locked=True)
_OLDEST_DUE_LOCKED = _oldest(_DUE).with_for_update(skip_locked=True)


def _claim_where(chosen: ColumnElement[bool]) -> Update:
    return (
        update(_outbox)
        .where(chosen, _CLAIMABLE)
        .values(
            status="sending",
            claimed_by=bindparam("me"),
            claimed_until=bindparam("until"),
            attempts=_outbox.c.attempts + 1,
        )
        .returning(_outbox.c.id, _outbox.c.caller_id, _outbox.c.due_at)
    )


_CLAIM_OLDEST = _claim_where(_outbox.c.id.in_(_oldest(_CLAIMABLE).scalar_subquery()))


def _mine(which: ColumnElement[bool], statuses: tuple[str, ...] = ("sending",)) -> Update:
    """An UPDATE of messages only while this worker's claim on them stands:
    one that expired and was taken over by another worker is left alone."""
    return update(_outbox).where(which, _outbox.c.claimed_by == bindparam("me"), one_of(_outbox.c.status, statuses))


_ONE = _outbox.c.id == bindparam("mid")


def _marked_sent(which: ColumnElement[bool], sid: ColumnElement[str]) -> Update:
    """Messages that went, with their sids. Also over a STOP's cancel that came
    while one was in flight: it went all the same."""
    return _mine(which, ("sending", "cancelled")).values(
        status="sent", sid=sid, sent_at=bindparam("at"), error_code=None
    )


@dataclass(frozen=True)
class _ListStatements:
    """The statements that name a list of messages (the `ids` parameter), for one dialect."""

    take: Update
    cancel: Update
    sent: Update  # messages that went (`ids`) and their sids (`sids`, in the same order)


def _list_statements(listed_ids: ColumnElement[bool], sent: Update) -> _ListStatements:
    return _ListStatements(
        take=(
            _mine(listed_ids)
            .where(_outbox.c.claimed_until > bindparam("now"))
            .values(claimed_until=bindparam("until"))
            .returning(
                _outbox.c.id, _outbox.c.caller_id, _outbox.c.to, _outbox.c.body, _outbox.c.kind,
                _outbox.c.deadline_at, _outbox.c.attempts,
                select(_callers.c.opted_out).where(_callers.c.id == _outbox.c.caller_id)
                .scalar_subquery().label("opted_out"),
            )
        ),
        cancel=_mine(listed_ids).values(status="cancelled"),
        sent=sent.returning(_outbox.c.id),
    )


# Each list is one parameter, so a statement's text is the same however many
# messages it names. (An expanding IN is a new statement for every length:
# each pooled connection prepared and cached dozens of copies, and a long
# run's web process kept growing.) PostgreSQL: arrays, the sids matched to
# their ids by unnest.
_WENT = (
    func.unnest(bindparam("ids", type_=ARRAY(Integer)), bindparam("sids", type_=ARRAY(String)))
    .table_valued("id", "sid")
    .render_derived()
)
_ANY_IDS = _outbox.c.id == any_(bindparam("ids", type_=ARRAY(Integer)))
_CLAIM_IDS = _claim_where(_ANY_IDS)  # SQLite claims in one statement: _CLAIM_OLDEST
_POSTGRESQL = _list_statements(_ANY_IDS, _marked_sent(_outbox.c.id == _WENT.c.id, _WENT.c.sid))
# SQLite: JSON arrays (database.listed), each sid found by its place in the list.
_IDS, _SIDS = listed("ids"), listed("sids")
_SOME = _outbox.c.id.in_(select(_IDS.c.value))
_ITS_SID = (
    select(_SIDS.c.value).join_from(_SIDS, _IDS, _SIDS.c.key == _IDS.c.key).where(_IDS.c.value == _outbox.c.id)
    .scalar_subquery()
)
_SQLITE = _list_statements(_SOME, _marked_sent(_SOME, _ITS_SID))


def _for(connection: AsyncConnection) -> _ListStatements:
    return _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE


_HOLD_MINE = _mine(_ONE).values(
    status="pending",
    due_at=bindparam("later"),
    attempts=_outbox.c.attempts - 1,  # held back, not tried
    claimed_by=None,
    claimed_until=None,
)
_SENT_MINE = _marked_sent(_ONE, bindparam("new_sid"))
_FAILED_MINE = _mine(_ONE).values(status="failed", error_code=bindparam("code"))
_RETRY_MINE = _mine(_ONE).values(
    status="pending", error_code=bindparam("code"), due_at=bindparam("retry"), claimed_by=None, claimed_until=None
)

