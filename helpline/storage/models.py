"""The tables: callers and their place in the flow, webhook receipts, callbacks, outbox.

Only what the flow needs is stored: the caller's number (to text them), their
answers (to work out the route and dates), nothing about the child.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone

from sqlalchemy import JSON, Column, ColumnElement, DateTime, Index, Text, or_
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out on every database: SQLite keeps no zone, so
    without this its values come back naive and compare wrongly with aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def one_of(column: ColumnElement[str], values: Collection[str]) -> ColumnElement[bool]:
    """`column IN (values)` for a fixed set of values, written as ORs of
    equalities. SQLAlchemy renders an IN list into the SQL text on every
    execution (an "expanding" parameter); that was 4% of a turn's CPU on
    PostgreSQL. The ORs are compiled once, like the rest of the statement."""
    return or_(*(column == value for value in sorted(values)))


def _timestamp(**kwargs: object) -> object:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, **kwargs))


def _maybe_timestamp() -> object:
    return Field(default=None, sa_column=Column(UTCDateTime()))


class Caller(SQLModel, table=True):
    __tablename__ = "callers"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True)  # E.164, or "hidden:<CallSid>"
    language: str = "en-GB"
    state: str | None = None
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    history: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reprompts: int = 0
    turns: int = 0
    opted_out: bool = False
    version: int = 0  # optimistic lock: a turn saves only if nobody saved in between
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class WebhookReceipt(SQLModel, table=True):
    """A processed webhook and the reply it got, so a retry gets the same reply."""

    __tablename__ = "webhook_receipts"

    key: str = Field(primary_key=True)  # MessageSid, or CallSid:turn
    caller_id: int = Field(index=True)
    media_type: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _timestamp()


class CallbackRequest(SQLModel, table=True):
    __tablename__ = "callback_requests"

    id: int | None = Field(default=None, primary_key=True)
    caller_id: int = Field(index=True)
    channel: str
    question: str | None = None
    created_at: datetime = _timestamp()
    handled_at: datetime | None = _maybe_timestamp()


class OutboxMessage(SQLModel, table=True):
    """An SMS to send: a reply, a summary, a reminder. Written in the same
    transaction as the turn that caused it; sent by a dispatcher that claims it.

    Life: pending -> sending (claimed until `claimed_until`) -> sent, or back to
    pending with a later `due_at` after a transient failure, or failed (with
    Twilio's error code); cancelled when the caller says STOP or a reminder is
    replaced. A claim that expires (its worker died) makes the row claimable again.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_oldest", "status", "due_at", "id"),  # what dispatchers take, in their order
        # A caller's messages by status: a turn replacing pending reminders, a
        # STOP cancelling. Without the status, PostgreSQL may also scan every
        # pending row of the dispatchers' index, which grows with the queue.
        Index("ix_outbox_caller_status", "caller_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    caller_id: int
    to: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = "reply"  # reply, summary, reminder, check_in
    status: str = "pending"
    due_at: datetime = _timestamp()
    deadline_at: datetime | None = _maybe_timestamp()
    claimed_until: datetime | None = _maybe_timestamp()
    claimed_by: str | None = None
    attempts: int = 0
    sid: str | None = Field(default=None, index=True)
    error_code: int | None = None
    delivery_status: str | None = None  # from Twilio's status callbacks
    created_at: datetime = _timestamp()
    sent_at: datetime | None = _maybe_timestamp()


# What a message starts as, wherever it is queued from.
QUEUED: dict[str, object] = {"status": "pending", "attempts": 0}


def outbox_values(
    caller_id: int | None, to: str, body: str, now: datetime, kind: str = "reply",
    due_at: datetime | None = None, deadline_at: datetime | None = None,
) -> dict[str, object]:
    """A new outbox row as plain values, for a Core INSERT, made at `now` (aware,
    UTC) and due then unless `due_at` says otherwise. A turn makes its rows
    before its caller has an id (caller_id None) and fills it in on saving."""
    return {
        "caller_id": caller_id, "to": to, "body": body, "kind": kind,
        "due_at": due_at or now, "deadline_at": deadline_at, "created_at": now, **QUEUED,
    }
