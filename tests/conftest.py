"""Fixtures: a helpline on a fresh SQLite file, driven over HTTP with signed,
Twilio-shaped webhooks, sending its SMS through the real twilio client to a
fake Twilio API on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
import pytest
from twilio.request_validator import RequestValidator

from helpline.config import Settings
from helpline.helpline import Helpline, build
from helpline.storage.database import create_tables
from helpline.web.app import create_app
from tests.fake_twilio import FakeTwilio

if TYPE_CHECKING:
    from tests.postgres import SharedPostgres

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://helpline.example.org"
HELPLINE_NUMBER = "+447700900000"
CALLER = "+447700900123"
# A whole call by keypad that ends in the summary, texted: a parent, an
# assessment refused by a letter of 3 October 2026, the mediation adviser not yet
# contacted, mediation wanted, the first council on the keypad (Manchester).
KEYS_TO_THE_SUMMARY = ("1", "2", "03102026", "2", "1", "1")
TODAY = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Europe/London"))
# Two councils, so the keypad can offer them: 1 Manchester, 2 Kent.
VOICE_COUNCILS = "E08000003,E10000016"

# shared_postgres; postgres_url and empty_postgres_url, for tests that need a database of their own.
pytest_plugins = ("tests.postgres",)

_sids = itertools.count(1)


def sid(prefix: str) -> str:
    return f"{prefix}{next(_sids):032x}"


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


# The suite runs on SQLite, and again on PostgreSQL with HELPLINE_TEST_DATABASE=postgres
# (.ci/run does both). Tests that need a particular database say so themselves.
TEST_DATABASE = os.environ.get("HELPLINE_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"HELPLINE_TEST_DATABASE={TEST_DATABASE!r}: use sqlite or postgres")


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for this test, of the kind this run tests."""
    if TEST_DATABASE == "sqlite":
        return f"sqlite:///{tmp_path / 'helpline.db'}"
    shared: SharedPostgres = request.getfixturevalue("shared_postgres")
    asyncio.run(shared.empty())
    return shared.url


@pytest.fixture
def settings(database_url: str, fake_twilio: FakeTwilio) -> Settings:
    fake_twilio.reset()
    return Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": HELPLINE_NUMBER,
            "TWILIO_API_BASE_URL": fake_twilio.base_url,
            "HELPLINE_COUNCILS": VOICE_COUNCILS,
        }
    )


@pytest.fixture
def clock() -> list[datetime]:
    """The helpline's now; a test may move it by replacing clock[0]."""
    return [TODAY]


@contextlib.asynccontextmanager
async def running(
    settings: Settings, clock: list[datetime], base_url: str = "http://internal:8000"
) -> AsyncIterator[tuple[Helpline, httpx.AsyncClient]]:
    """A helpline built from these settings, its tables made, and an HTTP client
    for its ASGI app (on a base URL unlike the public one, as behind a proxy)."""
    built = build(settings, clock=lambda: clock[0])
    await create_tables(built.database)
    try:
        transport = httpx.ASGITransport(app=create_app(built))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield built, client
    finally:
        await built.close()


@pytest.fixture
async def served(settings: Settings, clock: list[datetime]) -> AsyncIterator[tuple[Helpline, httpx.AsyncClient]]:
    async with running(settings, clock) as both:
        yield both


@pytest.fixture
def helpline(served: tuple[Helpline, httpx.AsyncClient]) -> Helpline:
    return served[0]


@pytest.fixture
def http(served: tuple[Helpline, httpx.AsyncClient]) -> httpx.AsyncClient:
    return served[1]


async def post_signed(
    http: httpx.AsyncClient, path: str, form: dict[str, str], token: str = AUTH_TOKEN, signed_url: str | None = None
) -> httpx.Response:
    """POST as Twilio does: form-encoded, signed over the public URL."""
    signature = RequestValidator(token).compute_signature(signed_url or PUBLIC + path, form)
    return await http.post(path, data=form, headers={"X-Twilio-Signature": signature})


@dataclass
class Phone:
    """A caller's phone: texts the helpline and reads the reply, or calls and presses keys."""

    http: httpx.AsyncClient
    number: str = CALLER
    call_sid: str = ""
    action: str = ""  # the open gather's action path, while a call is on
    heard: list[str] = field(default_factory=list)
    hung_up: bool = False
    messages: list[str] = field(default_factory=list)  # the texts of the last reply

    async def text(self, body: str, message_sid: str | None = None) -> str:
        form = {
            "MessageSid": message_sid or sid("SM"),
            "AccountSid": ACCOUNT_SID,
            "From": self.number,
            "To": HELPLINE_NUMBER,
            "Body": body,
            "NumMedia": "0",
        }
        response = await post_signed(self.http, "/twilio/sms", form)
        assert response.status_code == 200, response.text
        root = ET.fromstring(response.text)
        assert root.tag == "Response"
        self.messages = [m.text or "" for m in root.iter("Message")]
        return "\n".join(self.messages)

    async def call(self) -> str:
        self.call_sid, self.hung_up = sid("CA"), False
        return await self._voice("/twilio/voice", {})

    async def press(self, digits: str) -> str:
        assert self.action and not self.hung_up, "no question is open on this call"
        return await self._voice(self.action, {"Digits": digits})

    async def call_through(self, keys: Sequence[str]) -> str:
        """Call, then press each of `keys` in turn: what was heard last."""
        heard = await self.call()
        for digits in keys:
            heard = await self.press(digits)
        return heard

    async def silence(self) -> str:
        return await self.press("")

    async def _voice(self, path: str, extra: dict[str, str]) -> str:
        form = {
            "CallSid": self.call_sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.number,
            "To": HELPLINE_NUMBER,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            **extra,
        }
        response = await post_signed(self.http, path, form)
        assert response.status_code == 200, response.text
        self.last_twiml = response.text
        root = ET.fromstring(response.text)
        assert root.tag == "Response"
        for say in root.iter("Say"):
            assert say.get("language") == "en-GB" and say.get("voice"), "speech must name its voice"
        self.heard = [say.text or "" for say in root.iter("Say")]
        gather = root.find("Gather")
        self.action = gather.get("action") if gather is not None else ""
        self.hung_up = root.find("Hangup") is not None
        return "\n".join(self.heard)


@pytest.fixture
def phone(http: httpx.AsyncClient) -> Phone:
    return Phone(http)
