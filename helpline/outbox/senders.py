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
import itertools
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any, Protocol, TextIO, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient

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
    "RewritingTwilioHttpClient",
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

    def __repr__(self) -> str:
        return "ConsoleSender()"


# --------------------------------------------------------------------------- twilio


def _is_twilio_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")


class RewritingTwilioHttpClient(TwilioHttpClient):
    """TwilioHttpClient that sends every ``*.twilio.com`` request to ``base_url``.

    Scheme and host (and port) are replaced by those of ``base_url``; the
    request path is appended to any path prefix of ``base_url``, and the query
    string is kept.  Used to point the real client at a fake API in tests and
    benchmarks.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        if not parts.scheme or not parts.netloc:
            raise ValueError(f"api_base_url must be an absolute URL, got {base_url!r}")
        self.base_scheme = parts.scheme
        self.base_netloc = parts.netloc
        self.base_path = parts.path.rstrip("/")
        if self.session is not None and self.base_scheme == "http":
            # The parent only tunes the https:// adapter; do the same for http://.
            self.session.mount("http://", HTTPAdapter(pool_maxsize=32))

    def rewrite_url(self, url: str) -> str:
        parts = urlsplit(url)
        if not _is_twilio_host(parts.hostname):
            return url
        return urlunsplit(
            (self.base_scheme, self.base_netloc, self.base_path + parts.path, parts.query, parts.fragment)
        )

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        return super().request(method, self.rewrite_url(url), *args, **kwargs)


class TwilioSender:
    """Sends SMS through the Twilio Messages API using the official client.

    If ``messaging_service_sid`` is set it is used (and Twilio picks the sender
    from the service's pool); otherwise ``from_number`` is sent as ``From``.
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
        from twilio.rest import Client

        if not from_number and not messaging_service_sid:
            raise ValueError("TwilioSender needs from_number or messaging_service_sid")
        self.account_sid = account_sid
        self.from_number = from_number or None
        self.messaging_service_sid = messaging_service_sid or None
        self.api_base_url = api_base_url or None
        if self.api_base_url:
            http_client: TwilioHttpClient = RewritingTwilioHttpClient(self.api_base_url, timeout=timeout)
        else:
            http_client = TwilioHttpClient(timeout=timeout)
        self.http_client = http_client
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def _create(self, to: str, body: str, status_callback: str | None) -> Any:
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if status_callback:
            kwargs["status_callback"] = status_callback
        return self.client.messages.create(**kwargs)

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        try:
            message = await asyncio.to_thread(self._create, to, body, status_callback)
        except TwilioRestException as exc:
            return self._from_api_error(exc.status, exc.code, exc.msg or str(exc))
        except Exception as exc:
            if TwilioServiceException is not None and isinstance(exc, TwilioServiceException):
                return self._from_api_error(exc.status, exc.code, exc.detail or exc.title)
            if isinstance(exc, OSError):  # requests.RequestException is an OSError
                logger.warning("Twilio unreachable sending to %s: %s", _mask(to), exc)
                return SendResult(sid=None, error_message=f"connection error: {exc}", permanent=False)
            if isinstance(exc, TwilioException):
                logger.warning("Twilio client error sending to %s: %s", _mask(to), exc)
                return SendResult(sid=None, error_message=str(exc) or type(exc).__name__, permanent=False)
            logger.exception("unexpected error sending SMS to %s", _mask(to))
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


def _mask(number: str) -> str:
    """Keep phone numbers out of logs beyond the last few digits."""
    return ("*" * max(len(number) - 4, 0)) + number[-4:] if number else number


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
