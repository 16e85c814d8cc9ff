"""The outbox dispatcher and worker: each message sent once, through the real
twilio client to the fake Twilio, whatever fails, races or dies on the way; no
reminder at night unless its deadline cannot wait. On SQLite in-process, and on
PostgreSQL with `helpline worker` processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.web.paths import STATUS_PATH
from helpline.cli import main
from helpline.config import Settings
from helpline.helpline import Helpline
from helpline.outbox.dispatch import _OLDEST_DUE_LOCKED, MAX_ATTEMPTS, Dispatcher
from helpline.outbox.quiet_hours import send_time
from helpline.outbox.senders import Sender, SendResult
from helpline.outbox.worker import drain, run
from helpline.storage.callers import opt_out
from helpline.storage.database import make_engine, make_sessions
from helpline.storage.models import Caller, OutboxMessage
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, CALLER, HELPLINE_NUMBER, PUBLIC, running
from tests.fake_twilio import FakeTwilio
from tests.test_quiet_hours import uk

UTC = timezone.utc
STATUS_CALLBACK = PUBLIC + STATUS_PATH
NOW = uk(2026, 11, 30, 12)  # a Monday, noon
OTHER = "+447700900456"

Sessions = async_sessionmaker[AsyncSession]


async def add_caller(sessions: Sessions, number: str = CALLER) -> int:
    async with sessions() as session:
        caller = Caller(number=number)
        session.add(caller)
        await session.commit()
        return caller.id


async def add_callers(sessions: Sessions, count: int) -> dict[str, int]:
    """`count` callers with numbers from Ofcom's drama range: number -> id."""
    numbers = [f"+447700900{300 + n:03d}" for n in range(count)]
    return {number: await add_caller(sessions, number) for number in numbers}


async def queue(sessions: Sessions, caller_id: int, *bodies: str, due_at: datetime, kind: str = "reminder",
                to: str = CALLER, **fields: object) -> list[int]:
    """Outbox rows as a turn or the reminder scheduler writes them; datetimes stored in UTC."""
    fields = {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in fields.items()}
    messages = [OutboxMessage(caller_id=caller_id, to=to, body=body, kind=kind, due_at=due_at.astimezone(UTC), **fields)
                for body in bodies]
    async with sessions() as session:
        session.add_all(messages)
        await session.commit()
    return [message.id for message in messages]


async def load(sessions: Sessions, message_id: int) -> OutboxMessage:
    async with sessions() as session:
        return await session.get(OutboxMessage, message_id)


async def statuses(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return dict(rows.all())


async def caller_opted_out(sessions: Sessions, caller_id: int) -> bool:
    async with sessions() as session:
        return (await session.get(Caller, caller_id)).opted_out


@pytest.fixture
def sessions(helpline: Helpline) -> Sessions:
    return helpline.dispatcher.sessions


@pytest.fixture
def dispatcher(helpline: Helpline) -> Dispatcher:
    return Dispatcher(helpline.dispatcher.sessions, helpline.dispatcher.sender, status_callback_url=STATUS_CALLBACK)


@pytest.fixture
async def caller_id(sessions: Sessions) -> int:
    return await add_caller(sessions)


async def test_what_is_due_is_due_by_the_helplines_clock_not_the_machines(
    helpline, clock, sessions, caller_id, fake_twilio
) -> None:
    """The turns that queue texts read the helpline's clock; the dispatcher must
    read the same one. The tests' clock stands in November 2026 while the
    machine's runs on: a reminder scheduled for a day the machine has already
    passed is not due yet by the helpline's clock."""
    [message_id] = await queue(sessions, caller_id, "Tomorrow", due_at=clock[0] + timedelta(days=1))
    assert await helpline.dispatcher.send_due() == 0 and not await helpline.dispatcher.has_due()
    clock[0] += timedelta(days=1)
    assert await helpline.dispatcher.has_due() and await helpline.dispatcher.send_due() == 1
    assert [m["body"] for m in fake_twilio.messages] == ["Tomorrow"]
    assert (await load(sessions, message_id)).status == "sent"


# ------------------------------------------------------------------ sending and failing


async def test_sends_through_twilio_with_the_status_callback(dispatcher, sessions, caller_id, fake_twilio) -> None:
    [message_id] = await queue(sessions, caller_id, "Your route: mediation.", due_at=NOW, kind="summary")
    assert await dispatcher.send_due(now=NOW) == 1
    [sent] = fake_twilio.messages
    assert (sent["to"], sent["from"], sent["body"], sent["status_callback"]) == (
        CALLER, HELPLINE_NUMBER, "Your route: mediation.", STATUS_CALLBACK)
    row = await load(sessions, message_id)
    assert (row.status, row.sid, row.attempts, row.claimed_by) == ("sent", sent["sid"], 1, dispatcher.worker_id)
    assert row.sent_at == NOW
    assert await dispatcher.send_due(now=NOW + timedelta(hours=1)) == 0 and len(fake_twilio.messages) == 1


async def test_a_message_not_yet_due_waits(dispatcher, sessions, caller_id, fake_twilio) -> None:
    await queue(sessions, caller_id, "Later", due_at=NOW + timedelta(minutes=1))
    assert await dispatcher.send_due(now=NOW) == 0 and not await dispatcher.has_due(NOW)
    assert await dispatcher.send_due(now=NOW + timedelta(minutes=1)) == 1


async def test_transient_failure_then_success_on_a_later_run(dispatcher, sessions, caller_id, fake_twilio) -> None:
    fake_twilio.fail_next(1, status=500)
    [message_id] = await queue(sessions, caller_id, "Reminder", due_at=NOW)
    assert await dispatcher.send_due(now=NOW) == 0
    row = await load(sessions, message_id)
    assert (row.status, row.attempts, row.error_code, row.claimed_by) == ("pending", 1, 20500, None)
    assert row.due_at == NOW + timedelta(seconds=30)
    assert await dispatcher.send_due(now=NOW + timedelta(seconds=29)) == 0
    assert await dispatcher.send_due(now=NOW + timedelta(seconds=30)) == 1
    assert [m["body"] for m in fake_twilio.messages] == ["Reminder"] and len(fake_twilio.requests) == 2
    row = await load(sessions, message_id)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_retries_back_off_doubling_then_fail_after_eight_attempts(dispatcher, sessions, caller_id,
                                                                        fake_twilio) -> None:
    fake_twilio.fail_next(MAX_ATTEMPTS, status=503)
    [message_id] = await queue(sessions, caller_id, "Reminder", due_at=NOW)
    now, waits = NOW, []
    for _ in range(MAX_ATTEMPTS - 1):
        assert await dispatcher.send_due(now=now) == 0
        due = (await load(sessions, message_id)).due_at
        waits.append((due - now).total_seconds())
        now = due
    assert waits == [30, 60, 120, 240, 480, 960, 1920]
    assert await dispatcher.send_due(now=now) == 0
    row = await load(sessions, message_id)
    assert (row.status, row.attempts, row.error_code) == ("failed", MAX_ATTEMPTS, 20503)
    assert fake_twilio.messages == [] and len(fake_twilio.requests) == MAX_ATTEMPTS
    assert await dispatcher.send_due(now=now + timedelta(days=1)) == 0


async def test_permanent_failure_is_recorded_with_its_code(dispatcher, sessions, caller_id, fake_twilio) -> None:
    fake_twilio.fail_next(1, status=400)  # 21211: invalid 'To' number
    bad, good = await queue(sessions, caller_id, "First", "Second", due_at=NOW)
    assert await dispatcher.send_due(now=NOW) == 1
    row = await load(sessions, bad)
    assert (row.status, row.error_code, row.attempts, row.sid) == ("failed", 21211, 1, None)
    assert (await load(sessions, good)).status == "sent"
    assert not await caller_opted_out(sessions, caller_id)
    assert await dispatcher.send_due(now=NOW + timedelta(days=1)) == 0 and len(fake_twilio.requests) == 2


async def test_unsubscribed_21610_opts_the_caller_out_and_cancels_the_rest(dispatcher, sessions, caller_id,
                                                                            fake_twilio) -> None:
    fake_twilio.fail_for(CALLER)  # 21610: the caller texted STOP to the number itself
    other = await add_caller(sessions, OTHER)
    [refused] = await queue(sessions, caller_id, "Refused", due_at=NOW - timedelta(minutes=2), kind="reply")
    [queued_too] = await queue(sessions, caller_id, "Queued too", due_at=NOW - timedelta(minutes=1))
    [tomorrow] = await queue(sessions, caller_id, "Tomorrow", due_at=NOW + timedelta(days=1))
    [elsewhere] = await queue(sessions, caller_id, "Claimed elsewhere", due_at=NOW, status="sending",
                              claimed_by="another-worker", claimed_until=NOW + timedelta(minutes=5), attempts=1)
    [earlier] = await queue(sessions, caller_id, "Sent before", due_at=NOW - timedelta(days=1), status="sent")
    [theirs] = await queue(sessions, other, "Someone else's", due_at=NOW, to=OTHER)
    assert await dispatcher.send_due(now=NOW) == 1
    assert sorted(r["body"] for r in fake_twilio.requests) == ["Refused", "Someone else's"]
    row = await load(sessions, refused)
    assert (row.status, row.error_code) == ("failed", 21610)
    assert await caller_opted_out(sessions, caller_id) and not await caller_opted_out(sessions, other)
    after = [(await load(sessions, i)).status for i in (queued_too, tomorrow, elsewhere, earlier, theirs)]
    assert after == ["cancelled", "cancelled", "cancelled", "sent", "sent"]


@dataclass
class Watching:
    """The real sender, slowed down, noting how many messages are in flight at once."""

    sender: Sender
    in_flight: int = 0
    most: int = 0

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.01)
        result = await self.sender.send(to, body, status_callback)
        self.in_flight -= 1
        return result


async def test_callers_are_sent_to_at_once_and_each_callers_texts_in_order(dispatcher, sessions,
                                                                           fake_twilio) -> None:
    callers = await add_callers(sessions, 12)
    for number, caller in callers.items():
        for step in range(3):  # queued in reverse: the order they are due in is what counts
            await queue(sessions, caller, f"{number} step {2 - step}", due_at=NOW - timedelta(seconds=step), to=number)
    watching = Watching(dispatcher.sender)
    assert await Dispatcher(sessions, watching).send_due(now=NOW) == 36
    assert 1 < watching.most <= Settings.sends_in_flight
    for number in callers:
        sent = [m["body"] for m in fake_twilio.messages if m["to"] == number]
        assert sent == [f"{number} step {n}" for n in range(3)]
    # Recorded together, each row with the sid Twilio gave its own message.
    async with sessions() as session:
        recorded = {row.body: row.sid for row in (await session.execute(select(OutboxMessage))).scalars()}
    assert recorded == {m["body"]: m["sid"] for m in fake_twilio.messages}


async def test_sends_at_once_are_as_many_as_the_setting_allows(settings, clock, fake_twilio) -> None:
    """HELPLINE_SENDS_IN_FLIGHT, through build(): 12 callers' texts, 3 at Twilio at a time."""
    async with running(replace(settings, sends_in_flight=3), clock) as (helpline, _http):
        sessions = helpline.dispatcher.sessions
        for number, caller in (await add_callers(sessions, 12)).items():
            await queue(sessions, caller, f"{number} only", due_at=NOW, to=number)
        watching = Watching(helpline.dispatcher.sender)
        assert await replace(helpline.dispatcher, sender=watching).send_due(now=NOW) == 12
    assert watching.most == 3
    assert len(fake_twilio.messages) == 12


def test_the_sends_in_flight_setting_names_a_bad_value() -> None:
    assert Settings.from_env({"HELPLINE_SENDS_IN_FLIGHT": "8"}).sends_in_flight == 8
    assert Settings.from_env({}).sends_in_flight == 32
    for bad in ("0", "-1", "many", "2.5"):
        with pytest.raises(ValueError, match=f"HELPLINE_SENDS_IN_FLIGHT='{bad}'"):
            Settings.from_env({"HELPLINE_SENDS_IN_FLIGHT": bad})


@dataclass
class TakenOverWhileSending:
    """The real sender; while `body` is at Twilio, another worker takes its claim
    over (as when this worker stalled past its lease)."""

    sender: Sender
    sessions: Sessions
    body: str

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        if body == self.body:
            async with self.sessions() as session:
                await session.execute(update(OutboxMessage).where(OutboxMessage.body == body)
                                      .values(claimed_by="other-worker"))
                await session.commit()
        return await self.sender.send(to, body, status_callback)


async def test_a_claim_taken_over_while_sending_is_left_to_its_new_holder(dispatcher, sessions,
                                                                          fake_twilio, caplog) -> None:
    callers = await add_callers(sessions, 3)
    for number, caller in callers.items():
        await queue(sessions, caller, f"To {number}", due_at=NOW, to=number)
    lost = f"To {next(iter(callers))}"
    assert await Dispatcher(sessions, TakenOverWhileSending(dispatcher.sender, sessions, lost)).send_due(now=NOW) == 3
    async with sessions() as session:
        rows = {row.body: row for row in (await session.execute(select(OutboxMessage))).scalars()}
    sids = {m["body"]: m["sid"] for m in fake_twilio.messages}
    assert (rows[lost].status, rows[lost].claimed_by, rows[lost].sid) == ("sending", "other-worker", None)
    assert {body: (row.status, row.sid) for body, row in rows.items() if body != lost} == {
        body: ("sent", sid) for body, sid in sids.items() if body != lost}
    assert "claim lost while sending; outcome not recorded" in caplog.text


# ------------------------------------------------------------------ quiet hours


@pytest.mark.parametrize("kind", ["reminder", "check_in"])
@pytest.mark.parametrize(
    ("due", "morning"),
    [
        pytest.param(uk(2026, 6, 10, 21), uk(2026, 6, 11, 9), id="summer"),
        pytest.param(uk(2026, 10, 24, 21), uk(2026, 10, 25, 9), id="clocks-go-back"),
        pytest.param(uk(2027, 3, 27, 21), uk(2027, 3, 28, 9), id="clocks-go-forward"),
    ],
)
async def test_a_reminder_due_at_21_is_sent_at_9_next_morning(dispatcher, sessions, caller_id, fake_twilio,
                                                             kind: str, due: datetime, morning: datetime) -> None:
    [message_id] = await queue(sessions, caller_id, "Appeal by Thu 3 Dec", due_at=due, kind=kind)
    assert await dispatcher.send_due(now=due) == 0
    row = await load(sessions, message_id)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)
    assert row.due_at == morning
    assert await dispatcher.send_due(now=morning - timedelta(minutes=1)) == 0
    assert await dispatcher.send_due(now=morning) == 1
    row = await load(sessions, message_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, morning)
    assert len(fake_twilio.messages) == 1


@pytest.mark.parametrize(
    ("due", "deadline"),
    [
        pytest.param(uk(2026, 6, 10, 21), uk(2026, 6, 10, 23), id="summer"),
        pytest.param(uk(2026, 10, 24, 21), uk(2026, 10, 25, 8), id="clocks-go-back-overnight"),
    ],
)
async def test_a_reminder_whose_deadline_is_tonight_goes_by_20(dispatcher, sessions, caller_id, fake_twilio,
                                                               due: datetime, deadline: datetime) -> None:
    # Written as a scheduler should, with its time from send_time: a reminder for
    # 21:00 whose deadline passes in the night is due at 20:00, the last allowed time.
    scheduled = send_time(due, deadline, dispatcher.quiet_start, dispatcher.quiet_end, dispatcher.zone)
    evening = due.replace(hour=20)
    assert scheduled == evening
    [message_id] = await queue(sessions, caller_id, "Contact the adviser by tonight", due_at=scheduled,
                               deadline_at=deadline)
    assert await dispatcher.send_due(now=evening - timedelta(minutes=1)) == 0
    assert await dispatcher.send_due(now=evening) == 1
    assert (await load(sessions, message_id)).sent_at == evening


async def test_a_reminder_found_at_night_goes_at_once_if_its_deadline_cannot_wait(dispatcher, sessions, caller_id,
                                                                                 fake_twilio) -> None:
    due = uk(2026, 10, 24, 21)  # e.g. a retry; by 09:00 GMT the deadline has passed
    await queue(sessions, caller_id, "Today is the last day", due_at=due, deadline_at=uk(2026, 10, 25, 8))
    assert await dispatcher.send_due(now=due) == 1


@pytest.mark.parametrize("kind", ["reply", "summary"])
async def test_replies_and_summaries_ignore_quiet_hours(dispatcher, sessions, caller_id, fake_twilio,
                                                        kind: str) -> None:
    await queue(sessions, caller_id, "Answering you now", due_at=uk(2026, 6, 10, 23, 30), kind=kind)
    assert await dispatcher.send_due(now=uk(2026, 6, 10, 23, 30)) == 1


# ------------------------------------------------------------------ STOP, dead workers, races


@dataclass
class StopDuringBatch:
    """The real sender; the caller's STOP lands just after the first message is sent."""

    sender: Sender
    stop: Callable[[], Awaitable[None]]
    stopped: bool = field(default=False)

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        result = await self.sender.send(to, body, status_callback)
        if not self.stopped:
            self.stopped = True
            await self.stop()
        return result


@pytest.mark.parametrize("how", ["opt_out", "caller_only"])
async def test_a_stop_between_claim_and_send_means_never_sent(dispatcher, sessions, caller_id, fake_twilio,
                                                             how: str) -> None:
    async def stop() -> None:
        async with sessions() as session:
            if how == "opt_out":  # cancels the queued and claimed messages too
                await opt_out(session, caller_id, NOW)
            else:  # only the caller's flag, as a turn that cancels pending messages only leaves it
                await session.execute(update(Caller).where(Caller.id == caller_id).values(opted_out=True))
            await session.commit()

    stopping = Dispatcher(sessions, StopDuringBatch(dispatcher.sender, stop))
    first, second = await queue(sessions, caller_id, "First", "Second", due_at=NOW)
    assert await stopping.send_due(now=NOW) == 1
    assert [m["body"] for m in fake_twilio.messages] == ["First"]
    assert [(await load(sessions, i)).status for i in (first, second)] == ["sent", "cancelled"]


async def test_a_message_cancelled_before_its_turn_is_never_sent(dispatcher, sessions, caller_id, fake_twilio) -> None:
    [message_id] = await queue(sessions, caller_id, "Cancelled", due_at=NOW)
    async with sessions() as session:
        await opt_out(session, caller_id, NOW)
        await session.commit()
    assert await dispatcher.send_due(now=NOW) == 0 and fake_twilio.requests == []
    assert (await load(sessions, message_id)).status == "cancelled"


@pytest.fixture
async def two_dispatchers(settings: Settings, helpline: Helpline) -> AsyncIterator[tuple[Dispatcher, Dispatcher]]:
    """Two dispatchers on the same SQLite file, each with its own engine, as two processes would be."""
    engines = [make_engine(settings.database_url) for _ in range(2)]
    yield tuple(Dispatcher(make_sessions(engine), helpline.dispatcher.sender) for engine in engines)
    for engine in engines:
        await engine.dispose()


async def test_an_expired_claim_of_a_dead_worker_is_resent_exactly_once(two_dispatchers, sessions, caller_id,
                                                                      fake_twilio) -> None:
    [orphan] = await queue(sessions, caller_id, "Orphaned", due_at=NOW - timedelta(minutes=6), status="sending",
                           claimed_by="dead-worker", claimed_until=NOW - timedelta(seconds=1), attempts=1)
    [held] = await queue(sessions, caller_id, "Still held", due_at=NOW - timedelta(minutes=1), status="sending",
                         claimed_by="live-worker", claimed_until=NOW + timedelta(seconds=1), attempts=1)
    one, two = two_dispatchers
    assert sum(await asyncio.gather(one.send_due(now=NOW), two.send_due(now=NOW))) == 1
    assert await one.send_due(now=NOW) == 0 and await two.send_due(now=NOW) == 0
    assert [m["body"] for m in fake_twilio.messages] == ["Orphaned"]
    row = await load(sessions, orphan)
    assert (row.status, row.attempts) == ("sent", 2) and row.claimed_by in (one.worker_id, two.worker_id)
    row = await load(sessions, held)
    assert (row.status, row.claimed_by) == ("sending", "live-worker")


async def test_two_dispatchers_racing_on_sqlite_never_send_a_message_twice(two_dispatchers, sessions,
                                                                          fake_twilio) -> None:
    callers = await add_callers(sessions, 10)
    bodies = []
    for m in range(10):  # a round of texts to every caller, then the next
        for number, caller in callers.items():
            bodies += [f"Message {m} to {number}"]
            await queue(sessions, caller, bodies[-1], due_at=NOW, kind="reply", to=number)
    one, two = two_dispatchers
    counts = await asyncio.gather(drain(one, batch=7, now=NOW), drain(two, batch=7, now=NOW))
    assert sum(counts) == len(bodies) and min(counts) > 0, counts
    assert sorted(m["body"] for m in fake_twilio.messages) == sorted(bodies)
    assert await statuses(sessions) == {"sent": len(bodies)}


@pytest.fixture(params=["this-run", "postgresql"])
def claim_database_url(request: pytest.FixtureRequest, settings: Settings) -> str:
    """The run's database (SQLite or PostgreSQL), and PostgreSQL in every run: the
    claim differs by dialect, and SQLAlchemy drops FOR UPDATE on SQLite silently."""
    return settings.database_url if request.param == "this-run" else request.getfixturevalue("postgres_url")


async def test_a_claim_takes_at_most_its_limit_and_never_what_another_holds(
    claim_database_url: str, helpline: Helpline, fake_twilio
) -> None:
    engines = [make_engine(claim_database_url) for _ in range(2)]
    try:
        one, two = (Dispatcher(make_sessions(engine), helpline.dispatcher.sender) for engine in engines)
        caller = await add_caller(one.sessions)
        await queue(one.sessions, caller, *(f"Message {n}" for n in range(30)), due_at=NOW, kind="reply")
        assert await asyncio.gather(one.send_due(10, now=NOW), two.send_due(10, now=NOW)) == [10, 10]
        assert len({m["body"] for m in fake_twilio.messages}) == len(fake_twilio.messages) == 20
        assert await statuses(one.sessions) == {"sent": 20, "pending": 10}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_run_sends_what_comes_due_until_stopped(dispatcher, sessions, caller_id, fake_twilio) -> None:
    await queue(sessions, caller_id, "First", due_at=datetime.now(UTC), kind="reply")
    stop = asyncio.Event()
    running = asyncio.create_task(run(dispatcher, stop, poll_seconds=0.05))
    await asyncio.to_thread(fake_twilio.wait_for_messages, 1)
    await queue(sessions, caller_id, "Second", due_at=datetime.now(UTC), kind="reply")
    await asyncio.to_thread(fake_twilio.wait_for_messages, 2)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert [m["body"] for m in fake_twilio.messages] == ["First", "Second"]


async def test_webhooks_of_the_same_moment_share_one_send_run(
    dispatcher, sessions, caller_id, fake_twilio, monkeypatch
) -> None:
    """send_soon, which the web process calls after each turn that queued texts:
    ten at once make one run; one that comes during it waits for another."""
    runs = []
    send_due = dispatcher.send_due

    async def counted(*args, **kwargs) -> int:
        runs.append(len(runs))
        return await send_due(*args, **kwargs)

    monkeypatch.setattr(dispatcher, "send_due", counted)
    await queue(sessions, caller_id, "First", due_at=datetime.now(UTC), kind="reply")
    together = asyncio.gather(*(dispatcher.send_soon() for _ in range(10)))
    await asyncio.sleep(0)  # the run has begun
    await queue(sessions, caller_id, "Second", due_at=datetime.now(UTC), kind="reply")
    await asyncio.gather(together, dispatcher.send_soon())
    assert len(runs) == 2
    assert [m["body"] for m in fake_twilio.messages] == ["First", "Second"]


# ------------------------------------------------------------------ the `helpline worker` command


def _worker_env(database_url: str, fake: FakeTwilio, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": HELPLINE_NUMBER,
        "TWILIO_API_BASE_URL": fake.base_url,
        "HELPLINE_VALIDATE_SIGNATURES": "0",
        **extra,
    }


def test_worker_drain_creates_the_sqlite_tables(tmp_path: Path, fake_twilio) -> None:
    result = CliRunner().invoke(main, ["worker", "--drain"], env=_worker_env(f"sqlite:///{tmp_path / 'new.db'}",
                                                                            fake_twilio))
    assert result.exit_code == 0, result.output
    assert "helpline worker: sent 0" in result.output and (tmp_path / "new.db").exists()


@dataclass
class Workers:
    """`helpline worker` processes, their output kept in files (a full pipe would block them)."""

    database_url: str
    fake: FakeTwilio
    logs: Path
    running: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def start(self, *args: str, **env: str) -> asyncio.subprocess.Process:
        n = len(self.running)
        with (self.logs / f"worker{n}.out").open("w") as out, (self.logs / f"worker{n}.err").open("w") as err:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "from helpline.cli import main; main()", "worker", *args,
                env=os.environ | _worker_env(self.database_url, self.fake, **env), stdout=out, stderr=err,
            )
        self.running.append(process)
        return process

    async def wait(self, process: asyncio.subprocess.Process, timeout: float = 30) -> int:
        return await asyncio.wait_for(process.wait(), timeout)

    def output(self, process: asyncio.subprocess.Process) -> str:
        n = self.running.index(process)
        return (self.logs / f"worker{n}.out").read_text() + (self.logs / f"worker{n}.err").read_text()[-3000:]

    def kill_all(self) -> None:
        for process in self.running:
            if process.returncode is None:
                process.kill()


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(postgres_url)
    yield make_sessions(engine)
    await engine.dispose()


# For the workers of tests about sending each message once, whatever the time of
# day they run: equal times mean no quiet hours. (A deadline ten minutes ahead
# did not do it: in the ten minutes before quiet hours end, waiting for their
# end still meets the deadline, so the messages were rightly held back.)
NO_QUIET_HOURS = {"HELPLINE_QUIET_START": "00:00", "HELPLINE_QUIET_END": "00:00"}


async def _queue_reminders(sessions: Sessions, callers: int, each: int) -> list[str]:
    """Reminders due now for `callers` callers, their deadline in ten minutes."""
    now = datetime.now(UTC)
    bodies = []
    for number, caller in (await add_callers(sessions, callers)).items():
        mine = [f"Reminder {m} to {number}" for m in range(each)]
        await queue(sessions, caller, *mine, due_at=now - timedelta(seconds=1), deadline_at=now + timedelta(minutes=10),
                    to=number)
        bodies += mine
    return bodies


async def test_four_worker_processes_on_postgresql_send_3000_reminders_once_each(
    postgres_url: str, pg: Sessions, fake_twilio: FakeTwilio, tmp_path: Path  # noqa: F811
) -> None:
    fake_twilio.reset()
    bodies = await _queue_reminders(pg, callers=100, each=30)
    workers = Workers(postgres_url, fake_twilio, tmp_path)
    started = time.monotonic()
    try:
        processes = [await workers.start("--drain", **NO_QUIET_HOURS) for _ in range(4)]
        for process in processes:
            assert await workers.wait(process, 120) == 0, workers.output(process)
    finally:
        workers.kill_all()
    sent = [m["body"] for m in fake_twilio.messages]
    assert len(sent) == 3000 and sorted(sent) == sorted(bodies), Counter(sent).most_common(3)
    assert await statuses(pg) == {"sent": 3000}
    reported = [int(workers.output(p).split("helpline worker: sent ")[1].split()[0]) for p in processes]
    assert sum(reported) == 3000
    async with pg() as session:
        claimers = (await session.execute(select(func.count(func.distinct(OutboxMessage.claimed_by))))).scalar_one()
    assert claimers > 1, f"one worker did everything in {time.monotonic() - started:.1f}s: {reported}"


async def test_a_worker_killed_mid_batch_loses_nothing(
    postgres_url: str, pg: Sessions, tmp_path: Path  # noqa: F811
) -> None:
    bodies = await _queue_reminders(pg, callers=40, each=10)
    lease = {"HELPLINE_CLAIM_LEASE_SECONDS": "2", **NO_QUIET_HOURS}
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, delay=0.02) as slow:
        workers = Workers(postgres_url, slow, tmp_path)
        try:
            first = await workers.start("--poll", "0.1", "--batch", "50", **lease)
            await asyncio.to_thread(slow.wait_for_messages, 40, 30)
            first.send_signal(signal.SIGKILL)
            assert await workers.wait(first) == -signal.SIGKILL
            orphaned = (await statuses(pg)).get("sending", 0)
            assert orphaned > 0, "the worker was not killed mid-batch"

            second = await workers.start("--poll", "0.1", "--batch", "50", **lease)
            deadline = time.monotonic() + 30
            while (await statuses(pg)).get("sent", 0) < len(bodies):
                assert time.monotonic() < deadline, (await statuses(pg), workers.output(second))
                await asyncio.sleep(0.2)
            second.send_signal(signal.SIGTERM)
            assert await workers.wait(second) == 0, workers.output(second)
        finally:
            workers.kill_all()
        sent = Counter(m["body"] for m in slow.messages)
    assert set(sent) == set(bodies), "a message was lost"
    # At least once: only the messages in flight when the worker died may have gone twice.
    in_flight = Settings.sends_in_flight
    assert sum(sent.values()) - len(bodies) <= in_flight, sent.most_common(in_flight + 1)
    assert await statuses(pg) == {"sent": len(bodies)}


async def test_a_claim_on_postgresql_reads_the_oldest_due_from_the_index(postgres_url: str, pg: Sessions) -> None:
    """Reminders share their due_at (10:00 on the day). A claim must read its
    batch in order from ix_outbox_oldest: it used to scan the whole outbox and
    sort every due message at each claim (39 ms with 100,000 waiting)."""
    (caller_id,) = (await add_callers(pg, 1)).values()
    await queue(pg, caller_id, *(f"Reminder {n}" for n in range(5000)), due_at=datetime.now(UTC) - timedelta(minutes=1))
    claim = _OLDEST_DUE_LOCKED.params(now=datetime.now(UTC), limit=200).compile(
        dialect=postgresql.asyncpg.dialect(), compile_kwargs={"literal_binds": True}
    )
    async with pg() as session:
        await session.execute(text("ANALYZE outbox"))
        plan = "\n".join((await session.execute(text(f"EXPLAIN {claim}"))).scalars())
    assert "Index Scan using ix_outbox_oldest" in plan and "Sort" not in plan, plan
