"""The baseline the helpline is measured against: bare Starlette endpoints that
parse the same form and return a fixed TwiML reply, and do nothing else.

`app` reads the form as Starlette does (`request.form()`), as the issue
describes the baseline; `app_read_form` reads it as the helpline does
(helpline.web.forms, the standard library's parse_qsl), so that the helpline's
cheaper form reading is not counted as its own advantage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from helpline.web.forms import read_form

SMS_REPLY = str(MessagingResponse().message("Who are you? Reply with a number:"))
VOICE_REPLY = str(VoiceResponse().say("First, who are you?"))


def bare(read: Callable[[Request], Awaitable[object]]) -> Starlette:
    """Endpoints that read the form with `read` and answer a fixed reply."""

    def replying(reply: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            await read(request)
            return Response(reply, media_type="application/xml")

        return endpoint

    return Starlette(
        routes=[
            Route("/twilio/sms", replying(SMS_REPLY), methods=["POST"]),
            Route("/twilio/voice", replying(VOICE_REPLY), methods=["POST"]),
            Route("/twilio/voice/answer", replying(VOICE_REPLY), methods=["POST"]),
        ]
    )


app = bare(lambda request: request.form())
app_read_form = bare(read_form)
