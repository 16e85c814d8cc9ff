"""The webhooks as Twilio meets them: signatures, retries, concurrency, and one
conversation carried across SMS and voice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import aiosqlite
import httpx
import pytest
from sqlalchemy import event, func, select

from helpline.config import Settings
from helpline.storage.models import CallbackRequest, Caller, OutboxMessage, WebhookReceipt
from tests.postgres import as_admin
from tests.conftest import (
    ACCOUNT_SID, AUTH_TOKEN, CALLER, HELPLINE_NUMBER, KEYS_TO_THE_SUMMARY, PUBLIC, Phone, post_signed, running, sid
)


def _sms_form(body: str, message_sid: str | None = None, number: str = CALLER) -> dict[str, str]:
    return {"MessageSid": message_sid or sid("SM"), "AccountSid": ACCOUNT_SID, "From": number,
            "To": HELPLINE_NUMBER, "Body": body}


async def _count(helpline, model) -> int:
    async with helpline.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _drop_connections(url: str) -> None:
    """What a PostgreSQL restart does to the app's pool: every connection ends."""
    dropped = await as_admin(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", url.rsplit("/", 1)[1]
    )
    assert dropped >= 1


async def test_healthz(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


@pytest.mark.parametrize(
    "path, how",
    [
        ("/twilio/sms", "missing"),
        ("/twilio/sms", "wrong-token"),
        ("/twilio/sms", "wrong-url"),
        ("/twilio/sms", "tampered-body"),
        ("/twilio/sms", "not-a-form"),
        ("/twilio/voice", "missing"),
        ("/twilio/voice", "wrong-token"),
        ("/twilio/voice/answer?turn=1", "wrong-url"),
    ],
)
async def test_unsigned_or_badly_signed_webhooks_get_403_and_change_nothing(http, helpline, path: str, how: str) -> None:
    form = _sms_form("1") | {"CallSid": sid("CA"), "Digits": "1"}
    if how == "missing":
        response = await http.post(path, data=form)
    elif how == "wrong-token":
        response = await post_signed(http, path, form, token="not-the-token")
    elif how == "wrong-url":
        response = await post_signed(http, path, form, signed_url="https://attacker.example" + path)
    else:
        from twilio.request_validator import RequestValidator

        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, form)
        if how == "not-a-form":  # the right fields, signed, but as JSON: no fields, so not signed
            response = await http.post(path, json=form, headers={"X-Twilio-Signature": signature})
        else:
            response = await http.post(path, data=form | {"Body": "STOP"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert await _count(helpline, Caller) == 0
    assert await _count(helpline, WebhookReceipt) == 0


async def test_signature_over_the_request_url_when_no_public_base_url(settings, clock) -> None:
    async with running(replace(settings, public_base_url=None), clock, "http://testserver") as (_, http):
        ok = await post_signed(http, "/twilio/sms", _sms_form("hi"), signed_url="http://testserver/twilio/sms")
        refused = await post_signed(http, "/twilio/sms", _sms_form("hi"))  # signed for PUBLIC
    assert ok.status_code == 200 and "Who are you?" in ok.text
    assert refused.status_code == 403


async def test_a_signature_over_the_url_with_its_default_port_is_accepted_too(http) -> None:
    """Some of Twilio's signers include the port (:443) in the URL they sign."""
    response = await post_signed(http, "/twilio/sms", _sms_form("hi"), signed_url=PUBLIC + ":443/twilio/sms")
    assert response.status_code == 200 and "Who are you?" in response.text


async def test_the_signature_covers_the_query_string_as_twilio_sent_it(http) -> None:
    """Twilio signs the URL it requested, escapes and all: the query string is
    checked as it came, not decoded."""
    form = {"CallSid": sid("CA"), "From": CALLER, "To": HELPLINE_NUMBER, "Digits": "1"}
    path = "/twilio/voice/answer?turn=1&note=a%20b%2Fc"
    ok = await post_signed(http, path, form)
    decoded = await post_signed(http, path, form, signed_url=PUBLIC + "/twilio/voice/answer?turn=1&note=a b/c")
    assert ok.status_code == 200 and "<Response>" in ok.text
    assert decoded.status_code == 403


async def test_a_signature_that_is_not_ascii_is_refused_not_an_error(http, helpline) -> None:
    response = await http.post("/twilio/sms", data=_sms_form("hi"), headers={"X-Twilio-Signature": "sïgnature".encode("latin-1")})
    assert response.status_code == 403
    assert await _count(helpline, Caller) == 0


async def test_a_text_that_is_not_ascii_is_read_as_twilio_signed_it(phone: Phone) -> None:
    """Twilio signs the decoded fields: UTF-8 escapes and '+' for spaces read
    any other way would fail the signature (403) instead of starting the chat."""
    assert "Who are you?" in await phone.text("Helô, c’est moi + mon fils 👋")


async def test_a_form_with_more_fields_than_twilio_sends_is_refused_by_name(http, helpline) -> None:
    response = await post_signed(http, "/twilio/sms", _sms_form("hi") | {f"Extra{n}": "x" for n in range(1000)})
    assert response.status_code == 400 and "More than 1000 form fields" in response.text
    assert await _count(helpline, Caller) == 0


async def test_a_form_larger_than_twilio_sends_is_refused_by_name(http, helpline) -> None:
    response = await post_signed(http, "/twilio/sms", _sms_form("x" * 70_000))
    assert response.status_code == 413 and "more than 64 KB" in response.text
    assert await _count(helpline, Caller) == 0
    longest = await post_signed(http, "/twilio/sms", _sms_form("👋" * 1600))  # an SMS's limit, every one an emoji
    assert longest.status_code == 200 and "Who are you?" in longest.text


async def test_validation_can_be_turned_off_only_explicitly_and_warns(settings, clock, caplog) -> None:
    with pytest.raises(ValueError, match="HELPLINE_VALIDATE_SIGNATURES"):
        Settings.from_env({"HELPLINE_VALIDATE_SIGNATURES": "maybe"})
    with caplog.at_level(logging.WARNING):
        async with running(replace(settings, validate_signatures=False), clock) as (_, http):
            response = await http.post("/twilio/sms", data=_sms_form("hi"))
    assert "NOT checked" in caplog.text
    assert response.status_code == 200


async def test_no_auth_token_refuses_every_webhook(settings, clock) -> None:
    async with running(replace(settings, twilio_auth_token=None), clock) as (_, http):
        response = await post_signed(http, "/twilio/sms", _sms_form("hi"))
    assert response.status_code == 403


async def test_a_retried_sms_gets_the_same_reply_and_does_not_advance(http, helpline, phone: Phone) -> None:
    await phone.text("hi")
    message_sid = sid("SM")
    first = await phone.text("1", message_sid=message_sid)
    again = await phone.text("1", message_sid=message_sid)
    assert first == again and "What is the disagreement about?" in first
    async with helpline.sessions() as session:
        caller = (await session.execute(select(Caller))).scalar_one()
    assert caller.state == "dispute" and caller.history == ["capacity"]


async def test_a_retried_gather_gets_the_same_twiml_and_does_not_advance(phone: Phone, helpline) -> None:
    await phone.call()
    action = phone.action
    first = await phone.press("1")
    first_twiml = phone.last_twiml
    phone.action = action
    await phone.press("1")
    assert phone.last_twiml == first_twiml and "What is the disagreement about?" in first
    async with helpline.sessions() as session:
        caller = (await session.execute(select(Caller))).scalar_one()
    assert caller.state == "dispute"


async def test_two_messages_at_once_from_one_caller_both_count(http, helpline, phone: Phone) -> None:
    await phone.text("hi")
    await phone.text("1")
    await phone.text("2")  # now asked the decision date
    for _ in range(5):
        await phone.text("back")  # back to the start: answers are cleared by RESTART below
        await phone.text("restart")
        await phone.text("1")
        replies = await asyncio.gather(phone.text("2"), phone.text("3 October 2026"))
        async with helpline.sessions() as session:
            caller = (await session.execute(select(Caller))).scalar_one()
        # Whichever came first, neither answer was lost: either both were
        # applied in order, or the date came first (re-prompted) and then "2".
        if "Have you already contacted" in replies[1]:
            assert caller.answers["decision_date"] == "2026-10-03" and caller.state == "contacted_adviser"
        else:
            assert caller.answers["dispute"] == "assessment_refused" and caller.state == "decision_date"
        assert caller.turns == await _count(helpline, WebhookReceipt)


async def test_many_concurrent_callers(http, helpline) -> None:
    phones = [Phone(http, number=f"+4477009001{n:02d}") for n in range(20)]
    await asyncio.gather(*(p.text("hi") for p in phones))
    replies = await asyncio.gather(*(p.text("1") for p in phones))
    assert all("What is the disagreement about?" in r for r in replies)
    assert await _count(helpline, Caller) == 20


LOADS = "FROM callers LEFT OUTER JOIN webhook_receipts"
SAVES = "INSERT INTO webhook_receipts"


@contextlib.contextmanager
def statements_counted(helpline, monkeypatch, marker: str) -> Iterator[list[str]]:
    """The statements containing `marker`, as the database is sent them: through
    SQLAlchemy, or on SQLite straight to aiosqlite (storage.sqlite_driver)."""
    seen: list[str] = []

    def sent(_connection, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if marker in statement:
            seen.append(statement)

    for method in ("execute_fetchall", "executemany"):
        monkeypatch.setattr(aiosqlite.Connection, method, _noting(getattr(aiosqlite.Connection, method), sent))
    event.listen(helpline.database.sync_engine, "before_cursor_execute", sent)
    try:
        yield seen
    finally:
        event.remove(helpline.database.sync_engine, "before_cursor_execute", sent)


def _noting(method, sent):  # type: ignore[no-untyped-def]
    async def noted(self, sql: str, parameters=None):  # type: ignore[no-untyped-def]
        sent(self, None, sql)
        return await method(self, sql, parameters)

    return noted


async def test_turns_waiting_at_once_share_statements_and_each_gets_its_own_reply(http, helpline, monkeypatch) -> None:
    phones = [Phone(http, number=f"+4477009002{n:02d}") for n in range(12)]
    await asyncio.gather(*(p.text("hi") for p in phones))
    await asyncio.gather(*(p.text("1") for p in phones[:6]))  # these six are asked about the disagreement
    answered = sid("SM")
    asked_date = await phones[0].text("2", message_sid=answered)
    new_caller = Phone(http, number="+447700900299")
    with (
        statements_counted(helpline, monkeypatch, LOADS) as loads,
        statements_counted(helpline, monkeypatch, SAVES) as saves,
    ):
        replies = await asyncio.gather(
            phones[0].text("2", message_sid=answered),  # Twilio's retry: the reply it got, again
            phones[0].text("3 October 2026"),  # the same caller's next text: a turn of its own
            *(p.text("2") for p in phones[1:6]),
            *(p.text("1") for p in phones[6:]),
            new_caller.text("hi"), new_caller.text("hello"),  # a new caller's first two texts at once
        )
    assert "What date is on the council's decision letter?" in asked_date
    assert replies[0] == asked_date
    assert "Have you already contacted the council's mediation adviser?" in replies[1]
    assert all("What date is on the council's decision letter?" in reply for reply in replies[2:7])
    assert all("What is the disagreement about?" in reply for reply in replies[7:13])
    async with helpline.sessions() as session:
        caller = (await session.execute(select(Caller).where(Caller.number == new_caller.number))).scalar_one()
    assert caller.turns == 2
    assert 1 <= len(loads) < len(replies) and 1 <= len(saves) < len(replies)


async def test_hang_up_mid_call_then_carry_on_by_sms(phone: Phone, fake_twilio) -> None:
    await phone.call()
    await phone.press("1")
    await phone.press("2")  # asked for the decision date; the caller hangs up
    reply = await phone.text("Hello again")
    assert "Please text the date like this" in reply or "What date is on the council's decision letter?" in reply
    reply = await phone.text("3 October 2026")
    assert "Have you already contacted the council's mediation adviser?" in reply
    for answer in ("no", "yes"):
        await phone.text(answer)
    assert "Contact the council's mediation adviser by Thu 3 Dec 2026." in await phone.text("manchester")


async def test_start_by_sms_then_carry_on_by_phone(phone: Phone, fake_twilio) -> None:
    await phone.text("hi")
    await phone.text("young person")
    await phone.text("placement")
    heard = await phone.call()
    assert heard.startswith("Welcome back. Let's carry on where you left off.")
    assert "What date is on the council's decision letter?" in heard
    await phone.press("03102026")
    heard = await phone.press("2")
    assert "by Thursday 3 December 2026" in heard
    dates, contacts = (m["body"] for m in fake_twilio.messages)
    assert "You can ask a parent or advocate to help you." in dates
    assert "Free advice: IPSEA ipsea.org.uk" in contacts


async def test_numbers_written_differently_are_one_caller(phone: Phone) -> None:
    await phone.text("hi")
    await phone.text("1")
    phone.number = "07700 900123"
    assert "What date is on the council's decision letter?" in await phone.text("2")


async def test_a_hidden_number_can_use_the_phone_but_gets_no_texts(phone: Phone, fake_twilio) -> None:
    phone.number = "anonymous"
    await phone.call()
    await phone.press("1")
    await phone.press("8")
    heard = await phone.press("1")
    assert heard.startswith("The best next step is to talk to your local information and advice service")
    assert heard.endswith("Your number is hidden, so we cannot text you this summary. Call again to hear it, or text this number to get it by text. Goodbye.")
    assert phone.hung_up and fake_twilio.messages == []


async def test_too_many_councils_for_the_keypad_continue_by_sms(settings, clock, fake_twilio) -> None:
    async with running(replace(settings, councils=[]), clock) as (_, http):  # the whole directory: more than 8
        phone = Phone(http)
        await phone.call()
        heard = await phone.press("4")
        assert "We will text you now to ask which council it is." in heard and phone.hung_up
        [texted] = fake_twilio.messages
        assert "Which council is it? Text its name" in texted["body"]
        assert "Schools cannot use mediation or appeal." in await phone.text("Leeds")


async def test_sms_without_a_usable_number_is_acknowledged_not_answered(http, helpline) -> None:
    response = await post_signed(http, "/twilio/sms", _sms_form("hi", number="CHARITY"))
    assert response.status_code == 200
    assert ET.fromstring(response.text).find("Message") is None
    assert await _count(helpline, Caller) == 0


def test_the_shared_machine_keeps_no_conversations(helpline) -> None:
    from datetime import date

    from helpline.engine.conversation import Conversation
    from helpline.engine.intents import Intent

    for text in ("hi", "1", "2", "3 October 2026"):
        helpline.engine.step(Conversation(state="capacity"), Intent("sms", text=text), date(2026, 11, 28))
    assert helpline.engine.machine.machine.models == []


async def test_two_app_instances_on_one_database_serialise_one_caller(settings, clock) -> None:
    """As two web processes behind a load balancer: separate engines and pools,
    one database (SQLite here, PostgreSQL in the suite's second run)."""
    async with running(settings, clock) as (helpline, first), running(settings, clock) as (_, second):
        one, other = Phone(first), Phone(second)
        await one.text("hi")
        assert "What is the disagreement about?" in await other.text("1")  # the same caller, either instance
        retried = sid("SM")
        replies = await asyncio.gather(one.text("2", message_sid=retried), other.text("2", message_sid=retried))
        assert replies[0] == replies[1] and "What date is on the council's decision letter?" in replies[0]
        for _ in range(5):
            await asyncio.gather(one.text("3 October 2026"), other.text("back"))
            await one.text("restart")
            await other.text("1")
            await one.text("2")
        async with helpline.sessions() as session:
            caller = (await session.execute(select(Caller))).scalar_one()
            receipts = await _count(helpline, WebhookReceipt)
        assert caller.turns == receipts  # every webhook applied exactly once
        assert caller.state == "decision_date" and caller.answers["dispute"] == "assessment_refused"


async def test_many_callers_at_once_on_two_instances_each_webhook_applied_once(settings, clock) -> None:
    """Turns save in batches, and two web processes' batches hold some of the
    same callers: 24 callers text at once, round after round, half through each
    instance, and Twilio retries every third text on the other instance at the
    same moment. Every webhook is applied once and every retry gets the reply
    its first delivery got."""
    async with running(settings, clock) as (helpline, first), running(settings, clock) as (_, second):
        numbers = [f"+4477009003{n:02d}" for n in range(24)]
        for body in ("hi", "1", "2", "back", "restart", "1"):
            sends, retried = [], []
            for n, number in enumerate(numbers):
                here, there = (first, second) if n % 2 else (second, first)
                message_sid = sid("SM")
                sends.append(Phone(here, number=number).text(body, message_sid=message_sid))
                if n % 3 == 0:
                    retried.append(len(sends))
                    sends.append(Phone(there, number=number).text(body, message_sid=message_sid))
            replies = await asyncio.gather(*sends)
            assert all(replies[i] == replies[i - 1] for i in retried)
        assert all("What is the disagreement about?" in reply for reply in replies)
        async with helpline.sessions() as session:
            callers = (await session.execute(select(Caller))).scalars().all()
        assert sorted(caller.number for caller in callers) == numbers
        assert {(caller.turns, caller.state) for caller in callers} == {(6, "dispute")}
        assert await _count(helpline, WebhookReceipt) == 6 * len(numbers)


async def test_a_new_callers_first_texts_at_once_on_two_instances_are_each_applied_once(settings, clock) -> None:
    """A new caller's first text, Twilio's retry of it and their next text, all at
    once: one caller is created, the retry gets the first reply, both texts count."""
    async with running(settings, clock) as (helpline, first), running(settings, clock) as (_, second):
        for n in range(5):
            one, other = Phone(first, number=f"+4477009002{n:02d}"), Phone(second, number=f"+4477009002{n:02d}")
            hello = sid("SM")
            replies = await asyncio.gather(
                one.text("hi", message_sid=hello), other.text("hi", message_sid=hello), other.text("1")
            )
            assert replies[0] == replies[1]
        async with helpline.sessions() as session:
            callers = (await session.execute(select(Caller))).scalars().all()
        assert len(callers) == 5 and all(caller.turns == 2 for caller in callers)
        assert await _count(helpline, WebhookReceipt) == 10


async def test_the_last_answer_twice_at_once_queues_the_summarys_reminders_once(settings, clock) -> None:
    """The answer that ends in a summary, sent twice at once to two instances, by
    several callers at once: each gets its reminders once, as a caller who sent
    it once does."""

    async def pending_reminders(helpline, number: str) -> list[str]:
        async with helpline.sessions() as session:
            caller = (await session.execute(select(Caller).where(Caller.number == number))).scalar_one()
            rows = await session.execute(
                select(OutboxMessage.body).where(
                    OutboxMessage.caller_id == caller.id, OutboxMessage.status == "pending", OutboxMessage.kind == "reminder"
                ).order_by(OutboxMessage.id)
            )
            return list(rows.scalars())

    async def answer_twice(phones: tuple[Phone, Phone]) -> None:
        for text in ("hi", "1", "assessment", "3 October 2026", "no", "yes"):
            await phones[0].text(text)
        await asyncio.gather(*(phone.text("manchester") for phone in phones))

    async with running(settings, clock) as (helpline, first), running(settings, clock) as (_, second):
        alone = Phone(first, number="+447700900300")
        await answer_twice((alone,))
        numbers = [f"+4477009003{n:02d}" for n in range(1, 9)]
        await asyncio.gather(*(answer_twice((Phone(first, number=n), Phone(second, number=n))) for n in numbers))
        once = await pending_reminders(helpline, alone.number)
        assert once
        for number in numbers:
            assert await pending_reminders(helpline, number) == once, number


async def test_summaries_saved_together_queue_each_callers_texts_in_the_turns_order(helpline, http) -> None:
    """Calls that reach their summary at once save in one batch, their texts in
    one statement: each caller's are queued (and so sent, by id) in the order
    the turn made them: the summary's route and dates, its contacts, then the
    reminders."""
    phones = [Phone(http, number=f"+4477009004{n:02d}") for n in range(6)]
    await asyncio.gather(*(phone.call_through(KEYS_TO_THE_SUMMARY) for phone in phones))
    keep = helpline.words.catalogue.render("summary.keep_copies", "sms")
    async with helpline.sessions() as session:
        for phone in phones:
            caller = (await session.execute(select(Caller).where(Caller.number == phone.number))).scalar_one()
            queued = (await session.execute(
                select(OutboxMessage.kind, OutboxMessage.body)
                .where(OutboxMessage.caller_id == caller.id).order_by(OutboxMessage.id)
            )).all()
            kinds = [kind for kind, _ in queued]
            assert kinds[:2] == ["reply", "reply"] and set(kinds[2:]) <= {"reminder", "check_in"} and kinds[2:], kinds
            assert keep not in queued[0].body and keep in queued[1].body


async def test_a_turn_goes_on_when_postgresql_dropped_the_pooled_connection(settings, clock, postgres_url) -> None:
    """A restart or failover drops every connection in the pool; the next
    caller's turn must not fail for it (the pool does not ping before use)."""
    async with running(replace(settings, database_url=postgres_url), clock) as (helpline, http):
        phone = Phone(http)
        await phone.text("hi")
        await _drop_connections(postgres_url)
        assert "What is the disagreement about?" in await phone.text("1")
        async with helpline.sessions() as session:
            caller = (await session.execute(select(Caller))).scalar_one()
        assert caller.turns == 2 and caller.state == "dispute"


async def test_a_turn_postgresql_ends_to_break_a_deadlock_is_run_again(settings, clock, postgres_url) -> None:
    """Batches of turns saved by two processes can lock callers in different
    orders; PostgreSQL then ends one statement (40P01, here raised by a trigger
    on the first caller update) and its turns must be tried again, not fail."""
    async with running(replace(settings, database_url=postgres_url), clock) as (helpline, http):
        phone = Phone(http)
        await phone.text("hi")
        async with helpline.database.begin() as connection:
            await connection.exec_driver_sql("CREATE SEQUENCE updates")
            await connection.exec_driver_sql(
                "CREATE FUNCTION deadlock_once() RETURNS trigger AS $$ BEGIN "
                "IF nextval('updates') = 1 THEN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            await connection.exec_driver_sql(
                "CREATE TRIGGER deadlock_once BEFORE UPDATE ON callers FOR EACH ROW EXECUTE FUNCTION deadlock_once()"
            )
        assert "What is the disagreement about?" in await phone.text("1")
        async with helpline.database.connect() as connection:
            tries = (await connection.exec_driver_sql("SELECT last_value FROM updates")).scalar_one()
        async with helpline.sessions() as session:
            caller = (await session.execute(select(Caller))).scalar_one()
        assert tries == 2 and caller.turns == 2 and caller.state == "dispute"


async def test_a_delivery_report_is_recorded_when_postgresql_dropped_the_pooled_connection(
    settings, clock, postgres_url, fake_twilio
) -> None:
    async with running(replace(settings, database_url=postgres_url), clock) as (helpline, http):
        phone = Phone(http)
        await phone.call_through(KEYS_TO_THE_SUMMARY)
        await _drop_connections(postgres_url)
        sent = fake_twilio.messages[0]["sid"]
        form = {"MessageSid": sent, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID, "To": CALLER}
        assert (await post_signed(http, "/twilio/status", form)).status_code == 204
        async with helpline.sessions() as session:
            row = (await session.execute(select(OutboxMessage).where(OutboxMessage.sid == sent))).scalar_one()
        assert row.delivery_status == "delivered"


async def test_a_turn_keeps_when_the_caller_first_got_in_touch(helpline, phone: Phone, clock) -> None:
    await phone.text("hi")
    async with helpline.sessions() as session:
        first = (await session.execute(select(Caller))).scalar_one()
    clock[0] += timedelta(minutes=1)
    await phone.text("1")
    async with helpline.sessions() as session:
        later = (await session.execute(select(Caller))).scalar_one()
    assert later.turns == 2 and later.created_at == first.created_at < later.updated_at


async def test_a_callback_request_and_a_stop_are_stamped_by_the_helplines_clock(helpline, phone: Phone, clock) -> None:
    """The tests' clock stands days before the machine's: a record stamped by
    the machine's would not match it."""
    await phone.text("hi")
    clock[0] += timedelta(minutes=1)
    await phone.text("ADVISER")
    clock[0] += timedelta(minutes=1)
    await phone.text("STOP")
    async with helpline.sessions() as session:
        caller = (await session.execute(select(Caller))).scalar_one()
        request = (await session.execute(select(CallbackRequest))).scalar_one()
    assert request.created_at == clock[0] - timedelta(minutes=1)
    assert caller.opted_out and caller.updated_at == clock[0]


async def test_an_opt_out_reported_by_twilio_is_stamped_by_the_helplines_clock(
    helpline, phone: Phone, http, clock, fake_twilio
) -> None:
    await phone.call_through(KEYS_TO_THE_SUMMARY)
    clock[0] += timedelta(hours=1)
    form = {"MessageSid": fake_twilio.messages[0]["sid"], "MessageStatus": "undelivered", "ErrorCode": "21610",
            "AccountSid": ACCOUNT_SID, "To": CALLER}
    assert (await post_signed(http, "/twilio/status", form)).status_code == 204
    async with helpline.sessions() as session:
        caller = (await session.execute(select(Caller))).scalar_one()
    assert caller.opted_out and caller.updated_at == clock[0]


async def test_the_database_pool_setting_names_a_bad_value() -> None:
    assert Settings.from_env({"HELPLINE_DATABASE_POOL": "32"}).database_pool == 32
    for bad in ("0", "many", "-1"):
        with pytest.raises(ValueError, match=f"HELPLINE_DATABASE_POOL='{bad}'"):
            Settings.from_env({"HELPLINE_DATABASE_POOL": bad})


async def test_the_web_process_can_send_due_reminders_itself(helpline, fake_twilio) -> None:
    """`helpline serve` on SQLite is one process: its app runs the worker too."""
    from sqlalchemy import insert

    from helpline.storage.models import OutboxMessage, outbox_values
    from helpline.web.app import create_app

    async with helpline.sessions() as session:
        caller = Caller(number=CALLER)
        session.add(caller)
        await session.flush()
        await session.execute(
            insert(OutboxMessage), [outbox_values(caller.id, CALLER, "Reminder", helpline.dispatcher.clock(), kind="reply")]
        )
        await session.commit()
    app = create_app(helpline, worker=True)
    async with app.router.lifespan_context(app):
        await asyncio.to_thread(fake_twilio.wait_for_messages, 1)
    assert [m["body"] for m in fake_twilio.messages] == ["Reminder"]


async def test_a_sender_that_hangs_up_before_its_form_is_read_is_noted_not_an_error(helpline, caplog) -> None:
    """Twilio (or a proxy) giving up on a slow request leaves half a body: nothing
    is done and nothing is logged as an error. Served by uvicorn, as in production,
    since only a real connection can be cut midway."""
    import uvicorn

    from helpline.web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(helpline), port=0, lifespan="off", log_config=None))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    caplog.set_level(logging.INFO)
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /twilio/sms HTTP/1.1\r\nHost: helpline.example.org\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nFrom=%2B44")
    await writer.drain()
    writer.close()

    def noted() -> bool:
        return any("went away" in record.getMessage() for record in caplog.records)

    for _ in range(500):
        if noted():
            break
        await asyncio.sleep(0.01)
    server.should_exit = True
    await serving
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert noted()
    assert await _count(helpline, Caller) == 0
