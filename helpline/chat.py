"""A terminal caller: the same engine and words as the webhooks, without Twilio.

The fastest way to try the flow: type what a caller would text, or the keys
they would press (press Enter alone for silence on the phone).
"""

from __future__ import annotations

from datetime import date
from typing import TextIO

from helpline.channels import sms, voice
from helpline.engine.conversation import Conversation
from helpline.engine.intents import ARRIVE, Intent
from helpline.engine.turn import TextCaller, Turn
from helpline.helpline import Helpline


def run_chat(helpline: Helpline, channel: str, today: date, stdin: TextIO, stdout: TextIO) -> None:
    conv = Conversation()
    words, engine = helpline.words, helpline.engine
    first = Intent("voice", command=ARRIVE) if channel == "voice" else Intent("sms", text="hi")
    turn = engine.step(conv, first, today)
    while True:
        _show(turn, channel, helpline, stdout)
        if turn.hangup and channel == "voice":
            stdout.write("[the call ends]\n")
            return
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            return
        said = line.rstrip("\n")
        intent = voice.read(said, engine.flow.keys) if channel == "voice" else sms.read(said, words)
        turn = engine.step(conv, intent, today)


def _show(turn: Turn, channel: str, helpline: Helpline, stdout: TextIO) -> None:
    words = helpline.words
    if channel == "sms":
        if not turn.silent:
            stdout.write("\n".join(sms.bodies(turn, words)) + "\n")
    else:
        spoken = words.lines(turn)
        if turn.ask and not turn.hangup:
            spoken += [words.ask(turn.ask, "voice"), *voice.spoken_options(words, turn.ask)]
        stdout.write("".join(f"(says) {text}\n" for text in spoken))
    for effect in turn.effects:
        if isinstance(effect, TextCaller):
            stdout.write("".join(f"[text message]\n{body}\n" for body in sms.bodies(effect.turn, words)))
