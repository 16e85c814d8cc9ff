"""The SMS channel: read a text into an intent; render a turn as Messaging TwiML."""

from __future__ import annotations

import functools

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
            question.append(words.sms_options(turn.ask))
        parts.append("\n".join(question))
    if turn.summary is None:
        return ["\n".join(parts)]
    first, *rest = words.summary_texts(turn.summary)
    return ["\n".join([*parts, first]), *rest]


def render(turn: Turn, words: Words) -> str:
    """Messaging TwiML for the reply; an empty response where nothing may be sent."""
    return messages(() if turn.silent else tuple(bodies(turn, words)))


@functools.lru_cache(maxsize=512)
def messages(texts: tuple[str, ...]) -> str:
    """Messaging TwiML sending these texts. Remembered: nearly every reply is one
    of a few hundred questions and re-prompts, and building and writing out the
    XML tree was about 3% of an SMS turn's CPU."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return str(response)


def render_nothing() -> str:
    """An empty Messaging response: acknowledge the webhook, send no reply."""
    return messages(())
