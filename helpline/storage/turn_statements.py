"""The statements a webhook turn runs, built once (SQLAlchemy caches their
compiled form), and written so a turn on PostgreSQL costs two round trips: one
to load, one to save, whatever texts and reminders it queues. (A turn that asks
for a callback or opts out, and every turn on SQLite, saves in a transaction.)

Why so few: on PostgreSQL every statement, BEGIN and COMMIT is a network round
trip, and on SQLite a hop to the driver's thread; they were most of a turn's cost.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ARRAY, BindParameter, Boolean, ColumnElement, DateTime, Insert, Select, String, Text, Update, any_, bindparam,
    func, insert, literal, select, true, update,
)

from helpline.engine.conversation import Conversation
from helpline.outbox.dispatch import QUIET_KINDS
from helpline.storage.models import QUEUED, Caller, OutboxMessage, WebhookReceipt, one_of

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


# The callers of the turns waiting at one moment and, for each of those webhooks
# already answered, the reply it got; in one statement (helpline.turns batches
# the loads). A caller comes once, or once per answered webhook of theirs in
# the batch. A receipt always belongs to a caller (they are saved together and
# callers are never deleted), so no caller row means no receipt either.
def _load(numbers: ColumnElement[bool], keys: ColumnElement[bool]) -> Select:
    return (
        select(
            Caller.id, Caller.number, Caller.state, Caller.answers, Caller.history, Caller.reprompts,
            Caller.opted_out, Caller.turns, Caller.version,
            WebhookReceipt.key.label("receipt_key"), WebhookReceipt.media_type, WebhookReceipt.body,
        )
        .outerjoin(WebhookReceipt, keys & (WebhookReceipt.caller_id == Caller.id))
        .where(numbers)
    )


# PostgreSQL: one array parameter per list, so the statement's text is the same
# however many turns it loads; SQLite has no arrays: an expanding IN.
LOAD = {
    "postgresql": _load(
        Caller.number == any_(bindparam("numbers", type_=ARRAY(String()))),
        WebhookReceipt.key == any_(bindparam("keys", type_=ARRAY(String()))),
    ),
    "sqlite": _load(
        Caller.number.in_(bindparam("numbers", expanding=True)),
        WebhookReceipt.key.in_(bindparam("keys", expanding=True)),
    ),
}


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


def _replace_reminders(whose: ColumnElement[bool]) -> Update:
    """Pending reminders and check-ins, marked replaced: the turn queues new ones."""
    return (
        update(OutboxMessage)
        .where(whose, OutboxMessage.status == "pending", one_of(OutboxMessage.kind, QUIET_KINDS))
        .values(status="replaced")
    )


REPLACE_REMINDERS = _replace_reminders(OutboxMessage.caller_id == bindparam("caller"))

# The texts a turn queues, one array per column: PostgreSQL's unnest turns
# them back into rows inside the statement.
_TEXT_COLUMNS = {
    "to": String(), "body": Text(), "kind": String(),
    "due_at": DateTime(timezone=True), "deadline_at": DateTime(timezone=True),
}


def text_values(texts: list[dict[str, object]], replace_reminders: bool) -> dict[str, object]:
    """Parameters for a whole turn's statement: its texts (rows of outbox_values),
    and whether the caller's pending reminders are replaced."""
    arrays = {f"texts_{name}": [text[name] for text in texts] for name in _TEXT_COLUMNS}
    return {**arrays, "replace_reminders": replace_reminders}


def _whole_turn(caller_statement: Insert | Update) -> Insert:
    """PostgreSQL only: a turn in one statement, atomic by itself, so it needs no
    transaction around it: the caller written (RETURNING its id), their pending
    reminders replaced if asked, the turn's texts queued, and the receipt, the
    statement's one row. Writes nothing if the version moved (no row), and fails
    on a unique key if this webhook was answered, or this new caller created,
    meanwhile. Each part sees the database as it was before the statement, so
    the reminders replaced are never the ones it queues."""
    written = caller_statement.cte("written")
    replaced = _replace_reminders(
        OutboxMessage.caller_id.in_(select(written.c.id)) & bindparam("replace_reminders", type_=Boolean())
    ).cte("replaced")
    texts = (
        func.unnest(*(bindparam(f"texts_{name}", type_=ARRAY(type_)) for name, type_ in _TEXT_COLUMNS.items()))
        .table_valued(*_TEXT_COLUMNS, with_ordinality="place")
        .render_derived()
    )
    queued = insert(OutboxMessage).from_select(  # in order: a summary's parts go out by id
        ["caller_id", *_TEXT_COLUMNS, *QUEUED, "created_at"],
        select(
            written.c.id, *(texts.c[name] for name in _TEXT_COLUMNS),
            *(literal(value) for value in QUEUED.values()), _receipt_param("created_at"),
        ).select_from(written.join(texts, true())).order_by(texts.c.place),
    ).cte("queued")
    receipt = insert(WebhookReceipt).from_select(
        [*_RECEIPT_COLUMNS, "caller_id"],
        select(*(_receipt_param(name) for name in _RECEIPT_COLUMNS), written.c.id),
    )
    return receipt.add_cte(replaced, queued)


SAVE_TURN = _whole_turn(SAVE.returning(Caller.id))
CREATE_TURN = _whole_turn(CREATE)
