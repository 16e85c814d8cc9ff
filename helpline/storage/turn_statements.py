"""The statements a webhook turn runs, built once (SQLAlchemy caches their
compiled form), and written so a plain turn costs two round trips: one to
load, one to save.

Why so few: on PostgreSQL every statement, BEGIN and COMMIT is a network round
trip, and on SQLite a hop to the driver's thread; they were most of a turn's cost.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BindParameter, Insert, Update, bindparam, insert, select, update

from helpline.engine.conversation import Conversation
from helpline.outbox.dispatch import QUIET_KINDS
from helpline.storage.models import Caller, OutboxMessage, WebhookReceipt

# What a turn saves on the caller's row; the statements below and
# caller_values() both come from this one list.
SAVED = ("state", "answers", "history", "reprompts", "opted_out", "turns", "updated_at")


def caller_values(conv: Conversation, turns: int, now: datetime) -> dict[str, object]:
    """The SAVED columns' new values, as bind parameters named new_<column>."""
    values = dict(
        state=conv.state,
        answers=conv.answers,
        history=conv.history,
        reprompts=conv.reprompts,
        opted_out=conv.opted_out,
        turns=turns,
        updated_at=now,
    )
    return {f"new_{name}": values[name] for name in SAVED}


# The caller and, if this webhook was already answered, the reply it got; in one
# statement. A receipt always belongs to a caller (they are saved together and
# callers are never deleted), so no caller row means no receipt either.
LOAD = (
    select(
        Caller.id, Caller.state, Caller.answers, Caller.history, Caller.reprompts, Caller.opted_out,
        Caller.turns, Caller.version, WebhookReceipt.media_type, WebhookReceipt.body,
    )
    .outerjoin(WebhookReceipt, (WebhookReceipt.key == bindparam("key")) & (WebhookReceipt.caller_id == Caller.id))
    .where(Caller.number == bindparam("number"))
)

# Optimistic lock: saves only if nobody saved this caller since it was loaded.
SAVE = (
    update(Caller)
    .where(Caller.id == bindparam("id_"), Caller.version == bindparam("seen"))
    .values(version=Caller.version + 1, **{name: bindparam(f"new_{name}") for name in SAVED})
)

CREATE = insert(Caller).values(
    number=bindparam("number"), language=bindparam("language"), version=0,
    created_at=bindparam("new_updated_at"), **{name: bindparam(f"new_{name}") for name in SAVED},
).returning(Caller.id)

_RECEIPT_COLUMNS = ("key", "media_type", "body", "created_at")


def _receipt_param(name: str) -> BindParameter:
    """Named receipt_<column>: a parameter named like a column of callers
    (created_at) would also be SET on the caller by SAVE."""
    return bindparam(f"receipt_{name}", type_=WebhookReceipt.__table__.c[name].type)


def receipt_values(key: str, media_type: str, body: str, now: datetime) -> dict[str, object]:
    return {"receipt_key": key, "receipt_media_type": media_type, "receipt_body": body, "receipt_created_at": now}


RECORD_RECEIPT = insert(WebhookReceipt).values(
    caller_id=bindparam("caller_id"), **{name: _receipt_param(name) for name in _RECEIPT_COLUMNS}
)


def _with_receipt(caller_statement: Insert | Update) -> Insert:
    """PostgreSQL only: a statement that writes the caller (RETURNING its id) and
    RECORD_RECEIPT as one statement, which is atomic by itself, so it needs no
    transaction around it. Fails on a unique key if this webhook was answered,
    or this new caller created, meanwhile."""
    written = caller_statement.cte("written")
    return insert(WebhookReceipt).from_select(
        [*_RECEIPT_COLUMNS, "caller_id"],
        select(*(_receipt_param(name) for name in _RECEIPT_COLUMNS), written.c.id),
    )


# SAVE_WITH_RECEIPT saves nothing (rowcount 0) if the version moved.
SAVE_WITH_RECEIPT = _with_receipt(SAVE.returning(Caller.id))
CREATE_WITH_RECEIPT = _with_receipt(CREATE)

REPLACE_REMINDERS = (
    update(OutboxMessage)
    .where(
        OutboxMessage.caller_id == bindparam("caller"),
        OutboxMessage.status == "pending",
        OutboxMessage.kind.in_(QUIET_KINDS),
    )
    .values(status="replaced")
)
