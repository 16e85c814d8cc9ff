"""The SMS channel: read a text into an intent; render a turn as Messaging TwiML."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse

from helpline.channels.words import Words
from helpline.engine.intents import Intent
from helpline.engine.turn import Turn
from helpline.engine.words import normalise


def read(text: str, words: Words) -> Intent:
    """A command when the whole text is one of its words, otherwise an answer."""
    return Intent("sms", command=words.commands.get(normalise(text)), text=text)


def bodies(turn: Turn, words: Words) -> list[str]:
    """The reply as texts: the lines, then the question and its numbered options,
    or the summary's texts (its first one after the lines)."""
    parts = words.lines(turn)
    if turn.ask:
        question = [words.ask(turn.ask, "sms")]
        if words.flow.questions[turn.ask].kind == "menu":
            question += words.sms_options(turn.ask)
        parts.append("\n".join(question))
    if turn.summary is None:
        return ["\n".join(parts)]
    first, *rest = words.summary_texts(turn.summary)
    return ["\n".join([*parts, first]), *rest]


def render(turn: Turn, words: Words) -> str:
    """Messaging TwiML for the reply; an empty response where nothing may be sent."""
    response = MessagingResponse()
    if not turn.silent:
        for text in bodies(turn, words):
            response.message(text)
    return str(response)


def render_nothing() -> str:
    """An empty Messaging response: acknowledge the webhook, send no reply."""
    return str(MessagingResponse())
