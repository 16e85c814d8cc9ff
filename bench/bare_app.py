"""The baseline the helpline is measured against: bare Starlette endpoints that
parse the same form and return a fixed TwiML reply, and do nothing else."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

SMS_REPLY = str(MessagingResponse().message("Who are you? Reply with a number:"))
VOICE_REPLY = str(VoiceResponse().say("First, who are you?"))


async def sms(request: Request) -> Response:
    await request.form()
    return Response(SMS_REPLY, media_type="application/xml")


async def voice(request: Request) -> Response:
    await request.form()
    return Response(VOICE_REPLY, media_type="application/xml")


app = Starlette(
    routes=[
        Route("/twilio/sms", sms, methods=["POST"]),
        Route("/twilio/voice", voice, methods=["POST"]),
        Route("/twilio/voice/answer", voice, methods=["POST"]),
    ]
)
