"""The ASGI app: Twilio's SMS and voice webhooks, and a health check."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from helpline.channels import sms, voice
from helpline.engine.intents import ARRIVE, Intent
from helpline.helpline import Helpline
from helpline.outbox import worker as outbox_worker
from helpline.phone import normalise_number
from helpline.storage.callers import record_delivery
from helpline.storage.checkpoints import keep_checkpointed
from helpline.storage.database import once_more_if_dropped
from helpline.turns import HIDDEN_PREFIX, Reply
from helpline.web.forms import read_form
from helpline.web.paths import SMS_PATH, STATUS_PATH, VOICE_ANSWER_PATH, VOICE_PATH
from helpline.web.signatures import is_signed

log = logging.getLogger(__name__)

XML = "application/xml"


def freeze_start_up() -> None:
    """Put what start-up built (flow, prompts, calendars, the libraries'
    modules: some 120,000 objects that live as long as the process) out of the
    garbage collector's reach, so that a full collection, a pause every request
    in flight waits out, walks only what turns made. Once per process, after
    building the app; the tests build an app per test and do not call it."""
    gc.collect()
    gc.freeze()


def create_app(helpline: Helpline, worker: bool = False) -> Starlette:
    """The web app for one helpline. The schema is the migrations' job
    (`helpline db upgrade`, run by `helpline serve` on SQLite), not the app's.
    `worker` also sends due reminders from this process, as the embedded
    single-process setup needs; with PostgreSQL run `helpline worker` beside it.
    On SQLite the app also checkpoints the write-ahead log, off the turns' path
    (helpline.storage.checkpoints)."""
    settings = helpline.settings
    if not settings.validate_signatures:
        log.warning("HELPLINE_VALIDATE_SIGNATURES=0: webhooks are NOT checked to come from Twilio")
    elif not settings.twilio_auth_token:
        log.error("TWILIO_AUTH_TOKEN is not set: every webhook will be refused (403)")

    async def signed_form(request: Request) -> dict[str, str] | None:
        form = await read_form(request)
        if settings.validate_signatures and not (
            settings.twilio_auth_token
            and is_signed(request, form, settings.twilio_auth_token, settings.public_base_url)
        ):
            log.warning("refused %s: missing or wrong X-Twilio-Signature", request.url.path)
            return None
        return form

    def respond(reply: Reply) -> Response:
        task = BackgroundTask(helpline.dispatcher.send_soon) if reply.texts_queued else None
        return Response(reply.body, media_type=reply.media_type, background=task)

    async def sms_webhook(request: Request) -> Response:
        form = await signed_form(request)
        if form is None:
            return PlainTextResponse("Forbidden", status_code=403)
        number = normalise_number(form.get("From", ""))
        key = form.get("MessageSid") or form.get("SmsSid")
        if number is None or not key:
            log.warning("SMS without a usable From or MessageSid: ignored")
            return Response(sms.render_nothing(), media_type=XML)
        intent = sms.read(form.get("Body", ""), helpline.words)
        render = lambda turn, _turns: sms.render(turn, helpline.words)  # noqa: E731
        return respond(await helpline.turns.run(key, number, intent, helpline.clock(), render, XML))

    async def voice_webhook(request: Request) -> Response:
        form = await signed_form(request)
        if form is None:
            return PlainTextResponse("Forbidden", status_code=403)
        call_sid = form.get("CallSid", "")
        if not call_sid:
            return PlainTextResponse("CallSid is required", status_code=400)
        number = normalise_number(form.get("From", "")) or f"{HIDDEN_PREFIX}{call_sid}"
        if request.scope["path"] == VOICE_ANSWER_PATH:  # not request.url, which builds and parses the whole URL
            step = request.query_params.get("turn", "")
            intent = voice.read(form.get("Digits", ""), helpline.engine.flow.keys)
        else:
            step = "arrive"
            intent = Intent("voice", command=ARRIVE)

        def render(turn, turns: int) -> str:  # type: ignore[no-untyped-def]
            action = f"{VOICE_ANSWER_PATH}?turn={turns}"
            return voice.render(turn, helpline.words, action, settings.voice)

        key = f"{call_sid}:{step}"
        return respond(await helpline.turns.run(key, number, intent, helpline.clock(), render, XML))

    async def status_webhook(request: Request) -> Response:
        """Twilio's delivery reports for the texts we sent: recorded on the outbox
        row; error 21610 means the number opted out at Twilio, so we stop too."""
        form = await signed_form(request)
        if form is None:
            return PlainTextResponse("Forbidden", status_code=403)
        message_sid = form.get("MessageSid") or form.get("SmsSid", "")
        status, error = form.get("MessageStatus", ""), form.get("ErrorCode", "")
        if not message_sid or not status:
            return PlainTextResponse("MessageSid and MessageStatus are required", status_code=400)
        code = int(error) if error.isdigit() else None
        # Twilio does not send a status callback twice: it must not fail for a dropped connection.
        now = helpline.clock()
        await once_more_if_dropped(lambda: record_delivery(helpline.sessions, message_sid, status, code, now))
        return Response(status_code=204)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def gone(request: Request, _error: Exception) -> Response:
        """Twilio (or a proxy) hung up before its request was read: nothing
        was done, so there is nothing to answer and no error to report."""
        log.info("%s: the client went away before its request was read", request.url.path)
        return PlainTextResponse("Request incomplete", status_code=400)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        background: list[asyncio.Task[None]] = []
        if worker:
            background.append(asyncio.create_task(outbox_worker.run(helpline.dispatcher, stop)))
        if helpline.database.dialect.name == "sqlite":
            background.append(asyncio.create_task(keep_checkpointed(helpline.database, stop)))
        yield
        stop.set()
        for task in background:
            await task
        await helpline.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(SMS_PATH, sms_webhook, methods=["POST"]),
            Route(VOICE_PATH, voice_webhook, methods=["POST"]),
            Route(VOICE_ANSWER_PATH, voice_webhook, methods=["POST"]),
            Route(STATUS_PATH, status_webhook, methods=["POST"]),
        ],
        exception_handlers={ClientDisconnect: gone},
        lifespan=lifespan,
    )
