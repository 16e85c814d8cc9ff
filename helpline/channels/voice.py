"""The voice channel: read keypresses into an intent; render a turn as Voice TwiML."""

from __future__ import annotations

import functools

from twilio.twiml.voice_response import VoiceResponse

from helpline.channels.words import Words
from helpline.engine import intents
from helpline.engine.intents import Intent
from helpline.engine.turn import Turn

GATHER_TIMEOUT_SECONDS = 6
DATE_DIGITS = 8


def read(digits: str, keys: dict[str, str]) -> Intent:
    """Fixed keys are commands on every question; no digits at all is silence."""
    digits = digits.strip()
    if not digits:
        return Intent("voice", command=intents.SILENCE)
    for command, key in keys.items():
        if digits == key:
            return Intent("voice", command=command, text=digits)
    return Intent("voice", text=digits)


def render(turn: Turn, words: Words, action: str, voice: str) -> str:
    """Say the lines; gather the answer to the question (its action posts back to us)."""
    language = words.catalogue.voice_language
    said = tuple(words.lines(turn))
    if turn.ask and not turn.hangup:
        asked = (*said, words.ask(turn.ask, "voice"), *spoken_options(words, turn.ask))
        digits = DATE_DIGITS if words.flow.questions[turn.ask].kind == "date" else 1
        return twiml(asked, digits, action, False, voice, language)
    return twiml(said, None, "", turn.hangup, voice, language)


@functools.lru_cache(maxsize=512)
def twiml(texts: tuple[str, ...], digits: int | None, action: str, hangup: bool, voice: str, language: str) -> str:
    """Voice TwiML saying these texts; with `digits`, inside a Gather of that
    many keys posting to `action` (menus take one key, with no finish key so #
    reaches us as help; dates take 8). Remembered, as sms.messages is: most
    replies are a question at one of a few turn numbers, and building and
    writing out the XML tree was a fifth of a voice turn's instructions."""
    response = VoiceResponse()
    sayer = response if digits is None else response.gather(
        input="dtmf",
        action=action,
        method="POST",
        num_digits=digits,
        finish_on_key="",
        timeout=GATHER_TIMEOUT_SECONDS,
        action_on_empty_result=True,
    )
    for text in texts:
        sayer.say(text, voice=voice, language=language)
    if hangup:
        response.hangup()
    return str(response)


def spoken_options(words: Words, question: str) -> list[str]:
    """The option sentences said after a question (none for a date)."""
    kind = words.flow.questions[question].kind
    return words.voice_options(question) if kind in ("menu", "council") else []
