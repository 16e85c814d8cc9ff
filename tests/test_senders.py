import asyncio
import io
import re
import socket

import pytest

from helpline.outbox.senders import (
    ConsoleSender,
    rewrite_url,
    Sender,
    SendResult,
    TwilioSender,
    make_sender,
)
from helpline.phone import mask_number
from tests.fake_twilio import FakeTwilio

# Fictional credentials and numbers only (Ofcom drama range +447700900xxx).
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-0000"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
FROM = "+447700900001"
TO = "+447700900123"
UNSUBSCRIBED = "+447700900666"
CALLBACK = "http://127.0.0.1:9/sms/status"


@pytest.fixture(scope="module")
def fake():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as server:
        yield server


@pytest.fixture(autouse=True)
def _reset(request):
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()
    yield


_made: list[TwilioSender] = []


@pytest.fixture(autouse=True)
async def _close_senders():
    yield
    while _made:
        await _made.pop().close()


def _kept(sender: TwilioSender) -> TwilioSender:
    """Closed after the test, so no connection pool is left open."""
    _made.append(sender)
    return sender


def _sender(fake, **kw):
    kw.setdefault("from_number", FROM)
    return _kept(TwilioSender(ACCOUNT_SID, AUTH_TOKEN, api_base_url=fake.base_url, **kw))


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------ TwilioSender


async def test_send_arrives_with_to_from_body(fake):
    result = await _sender(fake).send(TO, "Hello from the helpline", status_callback=CALLBACK)
    assert result.ok
    assert result.error_code is None and not result.permanent
    [msg] = fake.messages
    assert msg["to"] == TO
    assert msg["from"] == FROM
    assert msg["body"] == "Hello from the helpline"
    assert msg["status_callback"] == CALLBACK
    assert msg["messaging_service_sid"] is None
    assert result.sid == msg["sid"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.sid)


async def test_status_callback_is_optional(fake):
    result = await _sender(fake).send(TO, "no callback")
    assert result.ok
    assert fake.messages[0]["status_callback"] is None


async def test_unicode_body_round_trips(fake):
    body = "Café — EHCP review on 3 March ✓ £0"
    result = await _sender(fake).send(TO, body)
    assert result.ok
    assert fake.messages[0]["body"] == body


async def test_a_forms_own_characters_in_a_body_round_trip(fake):
    """The sender encodes the form itself (FormEncodingTwilioHttpClient)."""
    body = "Fees: 50% + £10 & more = less?\nReply A=1 or B=2; see a.b/c?d=e#f"
    result = await _sender(fake).send(TO, body, status_callback=f"{CALLBACK}?x=1&y=2")
    assert result.ok
    [msg] = fake.messages
    assert msg["body"] == body and msg["status_callback"] == f"{CALLBACK}?x=1&y=2" and msg["to"] == TO


async def test_messaging_service_sid_is_used(fake):
    sender = _kept(TwilioSender(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid=SERVICE_SID, api_base_url=fake.base_url))
    result = await sender.send(TO, "via service")
    assert result.ok
    [msg] = fake.messages
    assert msg["messaging_service_sid"] == SERVICE_SID
    assert msg["from"] is None
    assert msg["sid"] == result.sid


async def test_unsubscribed_recipient_is_permanent(fake):
    fake.fail_for(UNSUBSCRIBED)
    result = await _sender(fake).send(UNSUBSCRIBED, "hi")
    assert not result.ok
    assert result.sid is None
    assert result.error_code == 21610
    assert result.permanent is True
    assert "unsubscribed" in (result.error_message or "")
    assert fake.messages == []
    # other recipients are unaffected
    assert (await _sender(fake).send(TO, "hi")).ok


async def test_server_error_is_transient(fake):
    fake.fail_next(1, status=500)
    sender = _sender(fake)
    result = await sender.send(TO, "hi")
    assert not result.ok
    assert result.permanent is False
    assert result.error_code == 20500
    # fault consumed: the retry goes through
    retry = await sender.send(TO, "hi")
    assert retry.ok
    assert len(fake.messages) == 1
    assert [r["status"] for r in fake.requests] == [500, 201]


async def test_rate_limited_is_transient(fake):
    fake.fail_next(1, status=429)
    result = await _sender(fake).send(TO, "hi")
    assert result.error_code == 20429
    assert result.permanent is False


async def test_scripted_code_is_passed_through(fake):
    fake.fail_next(1, status=400, code=21211, message="Invalid 'To' Phone Number")
    result = await _sender(fake).send(TO, "hi")
    assert result.error_code == 21211
    assert result.permanent is True


async def test_wrong_auth_token_is_permanent_20003(fake):
    sender = _kept(TwilioSender(ACCOUNT_SID, "wrong-token", from_number=FROM, api_base_url=fake.base_url))
    result = await sender.send(TO, "hi")
    assert not result.ok
    assert result.error_code == 20003
    assert result.permanent is True
    assert fake.messages == []


async def test_unreachable_server_is_transient(caplog):
    sender = _kept(TwilioSender(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM, api_base_url=f"http://127.0.0.1:{_closed_port()}"))
    result = await sender.send(TO, "hi")
    assert mask_number(TO) in caplog.text and TO not in caplog.text  # the log names the caller, masked
    assert not result.ok
    assert result.sid is None
    assert result.error_code is None
    assert result.permanent is False
    assert result.error_message


async def test_concurrent_sends(fake):
    sender = _sender(fake)
    results = await asyncio.gather(*(sender.send(f"+4477009001{i:02d}", f"msg {i}") for i in range(20)))
    assert all(r.ok for r in results)
    assert len({r.sid for r in results}) == 20
    assert sorted(m["body"] for m in fake.messages) == sorted(f"msg {i}" for i in range(20))


def test_sender_needs_a_from_identity():
    with pytest.raises(ValueError):
        TwilioSender(ACCOUNT_SID, AUTH_TOKEN)


def test_repr_hides_token():
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM)
    assert AUTH_TOKEN not in repr(sender)


# ------------------------------------------------------------------ URL rewriting


def test_rewrite_url():
    base = "http://127.0.0.1:8765"
    assert (
        rewrite_url(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json?PageSize=5", base)
        == f"http://127.0.0.1:8765/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json?PageSize=5"
    )
    assert rewrite_url("https://messaging.dublin.ie1.twilio.com/v1/Services", base) == (
        "http://127.0.0.1:8765/v1/Services"
    )
    # non-Twilio hosts are left alone
    assert rewrite_url("https://example.org/x", base) == "https://example.org/x"
    assert rewrite_url("https://nottwilio.com/x", base) == "https://nottwilio.com/x"
    prefixed = "http://127.0.0.1:8765/fake/"
    assert rewrite_url("https://api.twilio.com/2010-04-01/x", prefixed) == "http://127.0.0.1:8765/fake/2010-04-01/x"


def test_rewrite_needs_absolute_base():
    with pytest.raises(ValueError, match="api_base_url"):
        TwilioSender(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM, api_base_url="127.0.0.1:8765")


async def test_one_connection_pool_per_event_loop_closed_at_shutdown(fake):
    sender = _sender(fake)
    assert (await sender.send(TO, "one")).ok and (await sender.send(TO, "two")).ok
    assert len(sender._clients) == 1
    await sender.close()
    assert sender._clients == {}
    assert (await sender.send(TO, "after close: a new pool")).ok


# ------------------------------------------------------------------ ConsoleSender


async def test_console_sender_prints_to_then_body():
    stream = io.StringIO()
    sender = ConsoleSender(stream=stream)
    first = await sender.send(TO, "First message")
    second = await sender.send(TO, "Second message", status_callback=CALLBACK)
    assert first == SendResult(sid="console-1")
    assert second.sid == "console-2"
    assert first.ok and second.ok
    out = stream.getvalue()
    assert out.index(TO) < out.index("First message") < out.index("Second message")


async def test_console_sender_defaults_to_stdout(capsys):
    await ConsoleSender().send(TO, "to stdout")
    out = capsys.readouterr().out
    assert TO in out and "to stdout" in out


# ------------------------------------------------------------------ SendResult


def test_send_result_ok():
    assert SendResult(sid="SM1").ok
    assert not SendResult(sid=None, error_code=21610, permanent=True).ok
    assert not SendResult(sid=None, error_message="boom").ok
    with pytest.raises(Exception):
        SendResult(sid="x").sid = "y"  # frozen


# ------------------------------------------------------------------ make_sender


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number=FROM, messaging_service_sid=None),
        dict(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number=None, messaging_service_sid=SERVICE_SID),
    ],
)
def test_make_sender_twilio(kwargs):
    sender = make_sender(api_base_url="http://127.0.0.1:8765", **kwargs)
    assert isinstance(sender, TwilioSender)
    assert isinstance(sender, Sender)
    assert sender.api_base_url == "http://127.0.0.1:8765"


def test_make_sender_twilio_without_base_url_uses_twilio():
    sender = make_sender(ACCOUNT_SID, AUTH_TOKEN, FROM, None, None)
    assert isinstance(sender, TwilioSender)
    assert sender.api_base_url is None


@pytest.mark.parametrize(
    "args",
    [
        (None, None, None, None, None),
        ("", "", "", "", None),
        (ACCOUNT_SID, None, FROM, None, None),
        (None, AUTH_TOKEN, FROM, None, None),
        (ACCOUNT_SID, AUTH_TOKEN, None, None, None),
    ],
)
def test_make_sender_console(args):
    sender = make_sender(*args)
    assert isinstance(sender, ConsoleSender)
    assert isinstance(sender, Sender)


async def test_make_sender_end_to_end(fake):
    sender = make_sender(ACCOUNT_SID, AUTH_TOKEN, FROM, None, fake.base_url)
    result = await sender.send(TO, "end to end")
    assert result.ok
    assert fake.messages[0]["sid"] == result.sid


# ------------------------------------------------------------------ FakeTwilio itself


def test_fake_stops_cleanly():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as server:
        port = server.port
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
