"""The voice channel: read keypresses into an intent; render a turn as Voice TwiML."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

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
    response = VoiceResponse()
    said = words.lines(turn)
    if turn.ask and not turn.hangup:
        gather = _gather(words, turn.ask, action)
        for text in [*said, words.ask(turn.ask, "voice"), *spoken_options(words, turn.ask)]:
            gather.say(text, voice=voice, language=language)
        response.append(gather)
    else:
        for text in said:
            response.say(text, voice=voice, language=language)
    if turn.hangup:
        response.hangup()
    return str(response)


def _gather(words: Words, question: str, action: str) -> Gather:
    """Menus take one key, with no finish key so # reaches us as help; dates take 8."""
    is_date = words.flow.questions[question].kind == "date"
    return Gather(
        input="dtmf",
        action=action,
        method="POST",
        num_digits=DATE_DIGITS if is_date else 1,
        finish_on_key="",
        timeout=GATHER_TIMEOUT_SECONDS,
        action_on_empty_result=True,
    )


def spoken_options(words: Words, question: str) -> list[str]:
    """The option sentences said after a question (none for a date)."""
    kind = words.flow.questions[question].kind
    return words.voice_options(question) if kind in ("menu", "council") else []
