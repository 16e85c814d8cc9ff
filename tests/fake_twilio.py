"""A fake Twilio REST API for tests and benchmarks.

Serves ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` from a
Starlette app run by uvicorn in a background thread on 127.0.0.1::

    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, from_number=..., api_base_url=fake.base_url)
        ...
        assert fake.messages[0]["to"] == "+447700900123"

Errors use Twilio's legacy JSON error shape
``{"code", "message", "more_info", "status"}`` - this is what the ``twilio``
client turns into a ``TwilioRestException`` with ``.code`` set (an RFC-9457
body with ``type``/``title`` would become a ``TwilioServiceException``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API_VERSION = "2010-04-01"

# Twilio error codes used when a fault is scripted without an explicit code.
DEFAULT_CODES = {
    400: 21211,  # Invalid 'To' phone number (a typical 400)
    401: 20003,  # Authentication Error - invalid username/password
    403: 20403,
    404: 20404,
    429: 20429,  # Too Many Requests
    500: 20500,  # Internal Server Error
    503: 20503,  # Service Unavailable
}

DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "Authenticate",
    403: "Forbidden",
    404: "The requested resource was not found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class _Fault:
    status: int
    code: int | None
    message: str


def twilio_error(status: int, code: int | None = None, message: str | None = None) -> JSONResponse:
    """A Twilio-shaped (legacy) JSON error response."""
    if code is None:
        code = DEFAULT_CODES.get(status)
    payload: dict[str, Any] = {
        "code": code,
        "message": message or DEFAULT_MESSAGES.get(status, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
        "status": status,
    }
    return JSONResponse(payload, status_code=status)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it: no 40 ms Nagle waits
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class FakeTwilio:
    """In-process fake of the Twilio Messages API (thread-safe)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        delay: float = 0.0,
        log_level: str = "warning",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.delay = delay  # seconds to wait before answering each request
        self._log_level = log_level
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._fail_next: deque[_Fault] = deque()
        self._fail_for: dict[str, _Fault] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port: int | None = None
        self.app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Messages.json",
                    self._create_message,
                    methods=["POST"],
                ),
            ]
        )

    # ------------------------------------------------------------------ scripting

    def fail_next(self, count: int = 1, status: int = 500, code: int | None = None, message: str | None = None) -> None:
        """The next ``count`` (authenticated) message requests fail with ``status``."""
        fault = _Fault(status, code if code is not None else DEFAULT_CODES.get(status),
                       message or DEFAULT_MESSAGES.get(status, "Error"))
        with self._lock:
            self._fail_next.extend([fault] * count)

    def fail_for(
        self,
        number: str,
        status: int = 400,
        code: int | None = 21610,
        message: str = "Attempt to send to unsubscribed recipient",
    ) -> None:
        """Every message to ``number`` fails (until :meth:`clear_faults`)."""
        with self._lock:
            self._fail_for[number] = _Fault(status, code, message)

    def clear_faults(self) -> None:
        with self._lock:
            self._fail_next.clear()
            self._fail_for.clear()

    def reset(self) -> None:
        """Forget recorded messages/requests and scripted faults."""
        with self._lock:
            self._messages.clear()
            self._requests.clear()
            self._fail_next.clear()
            self._fail_for.clear()

    # ------------------------------------------------------------------ inspection

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Snapshot of accepted messages: dicts with to, from, body, status_callback, sid (+ messaging_service_sid)."""
        with self._lock:
            return [dict(m) for m in self._messages]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Snapshot of every message request received (accepted or not), with the HTTP status answered."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until at least ``count`` messages were accepted (or raise TimeoutError)."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages
            if len(msgs) >= count:
                return msgs
            if time.monotonic() >= deadline:
                raise TimeoutError(f"expected {count} messages, got {len(msgs)}")
            time.sleep(0.01)

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeTwilio is not running")
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ app

    def _check_auth(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.account_sid) and secrets.compare_digest(
            password, self.auth_token
        )

    def _log_request(self, path_sid: str, form: dict[str, str], status: int) -> None:
        with self._lock:
            self._requests.append(
                {
                    "account_sid": path_sid,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "messaging_service_sid": form.get("MessagingServiceSid"),
                    "body": form.get("Body"),
                    "status_callback": form.get("StatusCallback"),
                    "status": status,
                }
            )

    async def _create_message(self, request: Request) -> JSONResponse:
        if self.delay:
            await asyncio.sleep(self.delay)
        path_sid = request.path_params["account_sid"]
        form = {k: str(v) for k, v in (await request.form()).items()}

        def reply_error(status: int, code: int | None, message: str) -> JSONResponse:
            self._log_request(path_sid, form, status)
            return twilio_error(status, code, message)

        if not self._check_auth(request):
            return reply_error(401, 20003, "Authenticate")
        if path_sid != self.account_sid:
            return reply_error(404, 20404, f"The requested resource /{API_VERSION}/Accounts/{path_sid}/Messages.json was not found")

        with self._lock:
            fault = self._fail_next.popleft() if self._fail_next else None
            if fault is None:
                fault = self._fail_for.get(form.get("To", ""))
        if fault is not None:
            return reply_error(fault.status, fault.code, fault.message)

        to = form.get("To")
        from_ = form.get("From")
        service = form.get("MessagingServiceSid")
        body = form.get("Body")
        if not to:
            return reply_error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return reply_error(400, 21603, "A 'From' phone number is required.")
        if not body and not form.get("MediaUrl") and not form.get("ContentSid"):
            return reply_error(400, 21602, "Message body is required.")

        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=False)  # RFC 2822, as Twilio returns
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        record = {
            "to": to,
            "from": from_,
            "messaging_service_sid": service,
            "body": body,
            "status_callback": form.get("StatusCallback"),
            "sid": sid,
        }
        with self._lock:
            self._messages.append(record)
            self._requests.append(
                {"account_sid": path_sid, **{k: v for k, v in record.items() if k != "sid"}, "status": 201}
            )
        payload = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "GBP",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json",
            },
            "to": to,
            "uri": uri,
        }
        return JSONResponse(payload, status_code=201)

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 10.0) -> "FakeTwilio":
        if self._thread is not None:
            raise RuntimeError("FakeTwilio already started")
        self._sock = _free_socket()
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level=self._log_level,
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="auto",  # httptools where installed (the bench extra), else h11
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError("FakeTwilio server thread died during startup")
            if time.monotonic() >= deadline:
                self.stop()
                raise TimeoutError("FakeTwilio did not start in time")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._server = None
        self._thread = None

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
