"""Outbound SMS senders.

``TwilioSender`` talks to the Twilio REST API through the official ``twilio``
client; ``ConsoleSender`` just prints messages (used when no Twilio credentials
are configured, e.g. in local development).  ``make_sender`` picks one from
configuration.

Senders never raise: every outcome is reported as a :class:`SendResult`, with
``permanent`` telling the outbox whether retrying could possibly help.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any, Protocol, TextIO, runtime_checkable
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from helpline.phone import mask_number

try:  # twilio >= 9.x: RFC-9457 style errors from newer services
    from twilio.base.exceptions import TwilioServiceException
except ImportError:  # pragma: no cover - older twilio
    TwilioServiceException = None  # type: ignore[assignment,misc]

logger = logging.getLogger(__name__)

__all__ = [
    "SendResult",
    "Sender",
    "ConsoleSender",
    "TwilioSender",
    "FormEncodingTwilioHttpClient",
    "rewrite_url",
    "make_sender",
    "is_permanent_status",
]


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send attempt.

    ``sid`` is the provider's message id when the provider accepted the
    message.  On failure ``sid`` is None, ``error_code`` carries the Twilio
    error code when there is one (e.g. 21610 = recipient unsubscribed), and
    ``permanent`` says whether retrying is pointless.
    """

    sid: str | None
    error_code: int | None = None
    error_message: str | None = None
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.sid is not None and self.error_code is None and self.error_message is None


@runtime_checkable
class Sender(Protocol):
    async def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult: ...

    async def close(self) -> None: ...


def is_permanent_status(status: int | None) -> bool:
    """A 4xx answer (other than 429 Too Many Requests) will not succeed on retry."""
    if status is None:
        return False
    return 400 <= status < 500 and status != 429


# --------------------------------------------------------------------------- console


class ConsoleSender:
    """Prints outbound messages instead of sending them."""

    def __init__(self, stream: TextIO | None = None) -> None:
        # Resolved lazily so pytest's capsys / redirect_stdout are honoured.
        self._stream = stream
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        with self._lock:
            n = next(self._counter)
            try:
                stream = self.stream
                stream.write(f"--- SMS to {to} ---\n{body}\n--- end ---\n")
                stream.flush()
            except Exception as exc:  # never raise out of send()
                return SendResult(sid=None, error_message=f"console write failed: {exc}")
        return SendResult(sid=f"console-{n}")

    async def close(self) -> None:
        """Nothing to close: the stream is not ours."""

    def __repr__(self) -> str:
        return "ConsoleSender()"


# --------------------------------------------------------------------------- twilio


def _is_twilio_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")


def rewrite_url(url: str, base_url: str) -> str:
    """Send a ``*.twilio.com`` URL to ``base_url`` instead (a fake API in tests
    and benchmarks): scheme, host and port replaced, the path appended to any
    path of ``base_url``, the query kept. Other hosts are left alone."""
    parts = urlsplit(url)
    if not _is_twilio_host(parts.hostname):
        return url
    base = urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + parts.path, parts.query, parts.fragment))


class FormEncodingTwilioHttpClient(AsyncTwilioHttpClient):
    """The twilio client's own async HTTP client, but the form it posts is
    encoded here: given a dict, aiohttp builds a FormData, and with it a
    multipart writer and a random boundary it never uses, for every request
    (9% of a dispatch worker's py-spy samples, a third of them the urlencode
    kept here; with 4 workers 5-13% more sent a second). The body is the same:
    `urlencode(..., doseq=True)` is what FormData writes, and twilio sets the
    Content-Type of every POST. With ``base_url``, every ``*.twilio.com``
    request goes there instead (see rewrite_url)."""

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url

    async def request(  # type: ignore[override]
        self, method: str, url: str, params: dict[str, object] | None = None, data: Any = None, **kwargs: Any
    ):
        if isinstance(data, dict):
            data = urlencode(data, doseq=True)
        if self.base_url:
            url = rewrite_url(url, self.base_url)
        return await super().request(method, url, params, data, **kwargs)


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"api_base_url must be an absolute URL, got {base_url!r}")
    return base_url


class TwilioSender:
    """Sends SMS through the Twilio Messages API using the official client.

    If ``messaging_service_sid`` is set it is used (and Twilio picks the sender
    from the service's pool); otherwise ``from_number`` is sent as ``From``.

    Why the client's async HTTP client (aiohttp) rather than its default
    (requests, in a thread per send): a worker sends many messages at once, and
    the threads cost more CPU than the sending did. Its connection pool belongs
    to an event loop, so it is made on the first send in each loop.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base_url: str | None = None,
        *,
        timeout: float | None = 30.0,
    ) -> None:
        if not from_number and not messaging_service_sid:
            raise ValueError("TwilioSender needs from_number or messaging_service_sid")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number = from_number or None
        self.messaging_service_sid = messaging_service_sid or None
        self.api_base_url = _check_base_url(api_base_url) if api_base_url else None
        self.timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, Client] = {}
        # The client loads the Messages API's modules on first use: in a web
        # process, 190 ms inside the first turn that texts, and 9,000 objects
        # made after start-up was frozen (helpline.web.app.freeze_start_up).
        importlib.import_module("twilio.rest.api.v2010.account.message")

    def _client(self) -> Client:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for old in [old for old in self._clients if old.is_closed()]:
                del self._clients[old]  # a finished loop's pool: its sockets went with it
            http = FormEncodingTwilioHttpClient(self.api_base_url, pool_connections=False)
            # Our own pooled session, for its timeout (the client's has aiohttp's 5 minutes).
            http.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            client = self._clients[loop] = Client(self.account_sid, self._auth_token, http_client=http)
        return client

    async def close(self) -> None:
        """Close this event loop's connection pool (at shutdown)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.http_client.close()

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = await self._client().messages.create_async(**kwargs)
        except TwilioRestException as exc:
            return self._from_api_error(exc.status, exc.code, exc.msg or str(exc))
        except Exception as exc:
            if TwilioServiceException is not None and isinstance(exc, TwilioServiceException):
                return self._from_api_error(exc.status, exc.code, exc.detail or exc.title)
            if isinstance(exc, (OSError, aiohttp.ClientError, asyncio.TimeoutError)):
                logger.warning("Twilio unreachable sending to %s: %s", mask_number(to), exc)
                return SendResult(sid=None, error_message=f"connection error: {exc!r}", permanent=False)
            if isinstance(exc, TwilioException):
                logger.warning("Twilio client error sending to %s: %s", mask_number(to), exc)
                return SendResult(sid=None, error_message=str(exc) or type(exc).__name__, permanent=False)
            logger.exception("unexpected error sending SMS to %s", mask_number(to))
            return SendResult(sid=None, error_message=f"{type(exc).__name__}: {exc}", permanent=False)
        sid = getattr(message, "sid", None)
        if not sid:
            return SendResult(sid=None, error_message="Twilio response had no message sid", permanent=False)
        return SendResult(sid=sid)

    @staticmethod
    def _from_api_error(status: Any, code: Any, message: str | None) -> SendResult:
        try:
            status_int: int | None = int(status)
        except (TypeError, ValueError):
            status_int = None
        try:
            code_int: int | None = int(code) if code is not None else None
        except (TypeError, ValueError):
            code_int = None
        permanent = is_permanent_status(status_int)
        logger.warning("Twilio rejected message: status=%s code=%s %s", status_int, code_int, message)
        return SendResult(
            sid=None,
            error_code=code_int,
            error_message=message or f"HTTP {status_int}",
            permanent=permanent,
        )

    def __repr__(self) -> str:  # never show the auth token
        via = f"messaging_service_sid={self.messaging_service_sid!r}" if self.messaging_service_sid else f"from_number={self.from_number!r}"
        base = f", api_base_url={self.api_base_url!r}" if self.api_base_url else ""
        return f"TwilioSender(account_sid={self.account_sid!r}, {via}{base})"


# --------------------------------------------------------------------------- factory


def make_sender(
    account_sid: str | None = None,
    auth_token: str | None = None,
    from_number: str | None = None,
    messaging_service_sid: str | None = None,
    api_base_url: str | None = None,
) -> Sender:
    """TwilioSender when credentials and a sender identity are configured, else ConsoleSender."""
    if account_sid and auth_token and (from_number or messaging_service_sid):
        return TwilioSender(
            account_sid,
            auth_token,
            from_number=from_number,
            messaging_service_sid=messaging_service_sid,
            api_base_url=api_base_url,
        )
    if account_sid or auth_token or from_number or messaging_service_sid:
        logger.warning("Twilio configuration incomplete; outbound SMS will be printed to the console")
    return ConsoleSender()
