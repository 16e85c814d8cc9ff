"""The statements webhook turns run, built once (SQLAlchemy caches their
compiled form), each for all the turns waiting at one moment: on PostgreSQL one
to load them and one to save them, whatever texts and reminders they queue; on
SQLite one to load and a transaction of a few to save (storage.turn_batches). A
turn that asks for a callback or opts out saves alone, in a transaction.

Why so few: on PostgreSQL every statement, BEGIN and COMMIT is a network round
trip, and on SQLite a hop to the driver's thread (storage.sqlite_driver); they
were most of a turn's cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ARRAY, JSON, BindParameter, Boolean, ColumnElement, DateTime, Insert, Integer, Select, String, Text, Update,
    any_, bindparam, cast, column, func, insert, literal, select, union_all, update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from helpline.engine.conversation import Conversation
from helpline.outbox.dispatch import QUIET_KINDS
from helpline.storage.database import json_text, listed
from helpline.storage.models import QUEUED, Caller, OutboxMessage, UTCDateTime, WebhookReceipt, one_of

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


# One parameter per list, so the statement's text is the same however many
# turns it loads: an array on PostgreSQL; SQLite has none, so a JSON array.
LOAD = {
    "postgresql": _load(
        Caller.number == any_(bindparam("numbers", type_=ARRAY(String()))),
        WebhookReceipt.key == any_(bindparam("keys", type_=ARRAY(String()))),
    ),
    "sqlite": _load(
        Caller.number.in_(select(listed("numbers").c.value)), WebhookReceipt.key.in_(select(listed("keys").c.value))
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


@dataclass(frozen=True)
class WholeTurn:
    """A turn whose only side effects are texts and reminders: what saving it
    with others needs. `values` are the transaction path's parameters (a new caller's
    number and language, or a loaded one's id and version; the SAVED columns;
    the receipt)."""

    number: str
    values: dict[str, object]
    texts: list[dict[str, object]]  # rows of outbox_values, all to `number`
    replace_reminders: bool

    @property
    def new_caller(self) -> bool:
        return "id_" not in self.values


def receipt_of(turn: WholeTurn) -> dict[str, object]:
    """The turn's receipt_values."""
    return {name: value for name, value in turn.values.items() if name.startswith("receipt_")}


# SAVE_TURNS' parameters: the turns, and their texts, each as one JSON array
# of rows, which PostgreSQL's json_to_recordset reads back into typed rows
# inside the statement; its text is the same however many turns it saves. (An
# array a column, as this once was, made SQLAlchemy and asyncpg handle each
# value of each row in Python: a quarter of the web process's instructions for
# a turn's database work, by callgrind.)
_TURN_COLUMNS = {
    "number": String(), "language": String(), "id": Integer(), "seen": Integer(),
    "state": String(), "answers": JSON(), "history": JSON(), "reprompts": Integer(), "opted_out": Boolean(),
    "turns": Integer(), "updated_at": DateTime(timezone=True), "replace_reminders": Boolean(),
    "key": String(), "media_type": String(), "body": Text(),
}
_TEXT_COLUMNS = {
    "to": String(), "body": Text(), "kind": String(),
    "due_at": DateTime(timezone=True), "deadline_at": DateTime(timezone=True),
}
_PLACE = "place"  # a text's place among the batch's texts: a summary's parts go out in order


def _caller_row(turn: WholeTurn) -> dict[str, object]:
    """The caller a turn writes: which (number; id and version seen, if loaded), and the SAVED columns."""
    return {
        "number": turn.number, "language": turn.values.get("language"),
        "id": turn.values.get("id_"), "seen": turn.values.get("seen"),
        **{name: turn.values[f"new_{name}"] for name in SAVED},
    }


def turns_values(turns: list[WholeTurn]) -> dict[str, str]:
    """SAVE_TURNS' parameters for these turns, at most one a caller."""
    rows = [
        {
            **_caller_row(turn),
            "replace_reminders": turn.replace_reminders,
            **{name: turn.values[f"receipt_{name}"] for name in ("key", "media_type", "body")},
        }
        for turn in turns
    ]
    texts = [text for turn in turns for text in turn.texts]
    return {
        "turns": json_text(rows),
        "texts": json_text([
            {**{name: text[name] for name in _TEXT_COLUMNS}, _PLACE: place} for place, text in enumerate(texts)
        ]),
    }


def _recordset(name: str, columns: dict[str, TypeEngine[object]]) -> TableValuedAlias:
    """The rows of JSON parameter `name`, typed as `columns`."""
    rows = func.json_to_recordset(cast(bindparam(name, type_=Text()), JSON))
    return rows.table_valued(*(column(n, type_) for n, type_ in columns.items())).render_derived(
        name=name, with_types=True
    )


def _save_turns() -> Insert:
    """PostgreSQL only: many callers' turns in one statement, atomic by itself, so
    it needs no transaction around it. For each turn: the caller created, or
    updated if nobody saved them since they were loaded; their pending reminders
    replaced if asked; the turn's texts queued; the receipt, whose key the
    statement returns. A turn whose caller was saved or created meanwhile writes
    nothing and returns no key. Each part sees the database as it was before the
    statement, so the reminders replaced are never the ones it queues. At most
    one turn a caller: its rows are found again by number."""
    turns = select(_recordset("turns", _TURN_COLUMNS)).cte("turns")
    new = {name: turns.c[name] for name in SAVED}
    # The planner guesses a function's rows at 100 and an array's elements at
    # 10: the callers named by an array of the batch's ids are found by their
    # key. Joined only to `turns`, a table of a few thousand callers was read
    # whole instead (a hash join), and a turn's cost grew with the table until
    # it held about ten thousand.
    loaded = any_(func.array(select(turns.c.id).scalar_subquery()))
    saved = (
        update(Caller)
        .where(Caller.id == loaded, Caller.id == turns.c.id, Caller.version == turns.c.seen)
        .values(version=Caller.version + 1, **new)
        .returning(Caller.id, Caller.number)
        .cte("saved")
    )
    created = (
        postgresql.insert(Caller)
        .from_select(
            ["number", "language", "version", "created_at", *SAVED],
            select(turns.c.number, turns.c.language, literal(0), turns.c.updated_at, *new.values())
            .where(turns.c.id.is_(None)),
        )
        .on_conflict_do_nothing(index_elements=["number"])
        .returning(Caller.id, Caller.number)
        .cte("created")
    )
    callers = union_all(select(saved.c.id, saved.c.number), select(created.c.id, created.c.number)).subquery()
    written = (
        select(callers.c.id, *(turns.c[name] for name in ("number", "updated_at", "replace_reminders", "key",
                                                          "media_type", "body")))
        .join_from(callers, turns, turns.c.number == callers.c.number)
        .cte("written")
    )
    replaced = _replace_reminders(
        OutboxMessage.caller_id.in_(select(written.c.id).where(written.c.replace_reminders))
    ).cte("replaced")
    texts = _recordset("texts", {**_TEXT_COLUMNS, _PLACE: Integer()})
    queued = insert(OutboxMessage).from_select(  # in order: a summary's parts go out by id
        ["caller_id", *_TEXT_COLUMNS, *QUEUED, "created_at"],
        select(
            written.c.id, *(texts.c[name] for name in _TEXT_COLUMNS),
            *(literal(value) for value in QUEUED.values()), written.c.updated_at,
        )
        .join_from(written, texts, texts.c.to == written.c.number)  # a turn's texts go to its caller
        .order_by(texts.c[_PLACE]),
    ).cte("queued")
    receipts = insert(WebhookReceipt).from_select(
        ["key", "media_type", "body", "created_at", "caller_id"],
        select(written.c.key, written.c.media_type, written.c.body, written.c.updated_at, written.c.id),
    )
    return receipts.add_cte(replaced, queued).returning(WebhookReceipt.key)


SAVE_TURNS = _save_turns()


# SQLite has no arrays and cannot write in a WITH: its batch is one
# transaction of a few statements, each for every turn in it. The callers'
# rows come as one JSON array (`turns`, from turns_json), read by json_each.
_EACH = func.json_each(bindparam("turns")).table_valued("value")


def _field(name: str) -> ColumnElement[object]:
    return func.json_extract(_EACH.c.value, f"$.{name}")


def turns_json(turns: list[WholeTurn]) -> str:
    """SQLITE_SAVE_CALLERS' and SQLITE_CREATE_CALLERS' parameter for these turns
    (the time they are saved is the `now` parameter)."""
    rows = [_caller_row(turn) for turn in turns]
    return json_text([{name: value for name, value in row.items() if name != "updated_at"} for row in rows])


_SQLITE_NEW = {name: _field(name) for name in SAVED if name != "updated_at"}
SQLITE_SAVE_CALLERS = (
    update(Caller)
    .where(Caller.id == _field("id"), Caller.version == _field("seen"))
    .values(version=Caller.version + 1, updated_at=bindparam("now", type_=UTCDateTime()), **_SQLITE_NEW)
    .returning(Caller.id, Caller.number)
)
SQLITE_CREATE_CALLERS = (
    sqlite.insert(Caller)
    .from_select(
        ["number", "language", "version", "created_at", "updated_at", *_SQLITE_NEW],
        select(
            _field("number"), _field("language"), literal(0), bindparam("now", type_=UTCDateTime()),
            bindparam("now", type_=UTCDateTime()), *_SQLITE_NEW.values(),
        ).where(_field("id").is_(None)),
    )
    .on_conflict_do_nothing(index_elements=["number"])
    .returning(Caller.id, Caller.number)
)
