"""A conversation ends with reminders scheduled at the right instants; what the
caller tells us afterwards moves them; NO REMINDERS and STOP cancel them."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from helpline.storage.models import OutboxMessage
from tests.conftest import CALLER, KEYS_TO_THE_SUMMARY, Phone, post_signed, sid


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


async def _rows(helpline, status: str = "pending") -> list[tuple[str, datetime, datetime | None, str]]:
    async with helpline.sessions() as session:
        rows = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.status == status).order_by(OutboxMessage.due_at, OutboxMessage.id)
            )
        ).scalars().all()
    return [(row.kind, row.due_at, row.deadline_at, row.body) for row in rows]


async def _mediation_summary(phone: Phone, decided: str = "3 October 2026") -> str:
    for text in ("hi", "1", "assessment", decided, "no", "yes"):
        await phone.text(text)
    return await phone.text("manchester")


async def test_summary_schedules_reminders_before_each_deadline(phone: Phone, helpline) -> None:
    summary = await _mediation_summary(phone, "2 November 2026")
    assert "Reminders will come before these dates. Text UPDATE if things change, NO REMINDERS to stop them." in summary
    rows = await _rows(helpline)
    # Adviser by Thu 31 Dec 2026 (2 Jan 2027 is a Saturday: reg 33, never later);
    # appeal by Mon 4 Jan 2027 (r.12(2)). 14, 7 and 2 days before, at 10:00 London (GMT).
    assert [(kind, due, deadline) for kind, due, deadline, _ in rows] == [
        ("reminder", utc(2026, 12, 17, 10), utc(2026, 12, 31, 17)),
        ("reminder", utc(2026, 12, 21, 10), utc(2027, 1, 4, 17)),
        ("reminder", utc(2026, 12, 24, 10), utc(2026, 12, 31, 17)),
        ("reminder", utc(2026, 12, 28, 10), utc(2027, 1, 4, 17)),
        ("reminder", utc(2026, 12, 29, 10), utc(2026, 12, 31, 17)),
        ("reminder", utc(2027, 1, 2, 10), utc(2027, 1, 4, 17)),
    ]
    first = rows[0][3]
    assert first.startswith("SEND helpline reminder: contact the council's mediation adviser by Thu 31 Dec 2026.")
    assert first.endswith("Text UPDATE to tell us something new, NO REMINDERS to stop these, or STOP for no texts.")
    assert "your appeal must reach the Tribunal by Mon 4 Jan 2027" in rows[1][3]


async def test_reminders_in_summer_time_go_at_ten_local(phone: Phone, helpline, clock) -> None:
    clock[0] = datetime(2027, 3, 20, 12, tzinfo=ZoneInfo("Europe/London"))
    await _mediation_summary(phone, "1 March 2027")
    rows = await _rows(helpline)
    # Adviser by Fri 30 Apr 2027 (1 May is a Saturday): 10:00 BST is 09:00 UTC.
    assert (rows[0][1], rows[0][2]) == (utc(2027, 4, 16, 9), utc(2027, 4, 30, 16))


async def test_a_new_certificate_date_moves_the_reminders(phone: Phone, helpline) -> None:
    await _mediation_summary(phone)
    assert [(due, deadline) for _, due, deadline, _ in await _rows(helpline)] == [
        (utc(2026, 12, 1, 10), utc(2026, 12, 3, 17)),  # appeal, Thu 3 Dec
        (utc(2026, 12, 1, 10), utc(2026, 12, 3, 17)),  # adviser, Thu 3 Dec
    ]
    menu = await phone.text("UPDATE")
    assert "What has changed?" in menu and "2 My certificate has come" in menu
    assert "What date is on the certificate?" in await phone.text("2")
    summary = await phone.text("20 November 2026")
    # 1 month from the certificate (Sun 20 Dec) is later than 2 months from the decision: Mon 21 Dec.
    assert "Appeal to reach the Tribunal by Mon 21 Dec 2026." in summary
    assert "mediation adviser by" not in summary
    rows = await _rows(helpline)
    assert [(due, deadline) for _, due, deadline, _ in rows] == [
        (utc(2026, 12, 7, 10), utc(2026, 12, 21, 17)),
        (utc(2026, 12, 14, 10), utc(2026, 12, 21, 17)),
        (utc(2026, 12, 19, 10), utc(2026, 12, 21, 17)),
    ]
    assert all("your appeal must reach the Tribunal by Mon 21 Dec 2026." in body for *_, body in rows)
    assert len(await _rows(helpline, "replaced")) == 2


async def test_mediation_booked_gives_a_reminder_and_a_certificate_check_in(phone: Phone, helpline) -> None:
    await _mediation_summary(phone)
    await phone.text("update")
    assert "What date is the mediation?" in await phone.text("booked")
    assert "That date has passed." in await phone.text("1 November 2026")
    summary = await phone.text("10 December 2026")
    assert "Your mediation is on Thu 10 Dec 2026." in summary
    assert "The adviser must send your certificate by Tue 15 Dec 2026." in summary
    kinds = [(kind, due) for kind, due, _, _ in await _rows(helpline)]
    assert ("reminder", utc(2026, 12, 8, 10)) in kinds
    assert ("check_in", utc(2026, 12, 16, 10)) in kinds


async def test_resolved_cancels_the_reminders(phone: Phone, helpline) -> None:
    await _mediation_summary(phone)
    await phone.text("update")
    assert "Glad it is sorted out." in await phone.text("it is sorted")
    assert await _rows(helpline) == []


async def test_no_reminders_then_reminders_again(phone: Phone, helpline) -> None:
    await _mediation_summary(phone)
    assert "OK, no more reminders." in await phone.text("NO REMINDERS")
    assert await _rows(helpline) == []
    assert "OK, we will text you reminders" in await phone.text("reminders")
    assert len(await _rows(helpline)) == 2


async def test_stop_cancels_reminders_help_is_still_answered_start_brings_them_back(phone: Phone, helpline) -> None:
    await _mediation_summary(phone)
    await phone.text("STOP")
    assert await _rows(helpline) == []
    assert len(await _rows(helpline, "cancelled")) == 2
    assert "You have stopped our messages. Text START" in await phone.text("HELP")
    assert await phone.text("update") == ""
    assert "Your route: mediation" in await phone.text("unstop")
    assert len(await _rows(helpline)) == 2


async def test_a_call_that_ends_in_a_summary_schedules_reminders_too(phone: Phone, helpline, fake_twilio) -> None:
    await phone.call_through(KEYS_TO_THE_SUMMARY)
    assert phone.hung_up
    assert len(await _rows(helpline)) == 2


async def test_update_before_the_summary_is_just_an_answer(phone: Phone) -> None:
    await phone.text("hi")
    reply = await phone.text("update")
    assert reply.startswith("Sorry, I did not understand that.") and "Who are you?" in reply


async def test_status_callbacks_record_delivery_and_21610_opts_out(phone: Phone, helpline, http, fake_twilio) -> None:
    await phone.call_through(KEYS_TO_THE_SUMMARY)
    sent, _contacts = fake_twilio.messages
    form = {"MessageSid": sent["sid"], "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32, "To": CALLER}
    assert (await post_signed(http, "/twilio/status", form)).status_code == 204
    assert (await post_signed(http, "/twilio/status", {**form, "MessageStatus": "x"}, token="wrong")).status_code == 403
    async with helpline.sessions() as session:
        row = (await session.execute(select(OutboxMessage).where(OutboxMessage.sid == sent["sid"]))).scalar_one()
    assert row.delivery_status == "delivered"
    failed = {**form, "MessageStatus": "undelivered", "ErrorCode": "21610"}
    assert (await post_signed(http, "/twilio/status", failed)).status_code == 204
    assert await _rows(helpline) == []
    assert await phone.text("hello") == ""  # opted out: nothing more is sent
    unknown = {**form, "MessageSid": sid("SM")}
    assert (await post_signed(http, "/twilio/status", unknown)).status_code == 204
