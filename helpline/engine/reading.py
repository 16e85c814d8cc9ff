"""Reading an answer to the current question: a value to save, or the problem with it.

SMS answers are words ("2", "two", "assessment", "3 March 2027", "manchester");
keypad answers are digits. Both end as the same saved value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from helpline.directory import Council, Directory
from helpline.engine import dates, words
from helpline.engine.intents import Intent
from helpline.flow import Question
from helpline.prompts import Catalogue

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reading:
    value: str | None = None
    problem: str | None = None  # a prompt key under messages.


def read_answer(
    question: Question,
    intent: Intent,
    catalogue: Catalogue,
    directory: Directory,
    voice_councils: list[Council],
    answers: dict[str, str],
    today: date,
) -> Reading:
    if question.kind == "menu":
        return _read_menu(question, intent, catalogue)
    if question.kind == "date":
        return _read_date(question, intent, catalogue, answers, today)
    if question.kind == "council":
        return _read_council(question, intent, catalogue, directory, voice_councils)
    return Reading(problem="not_understood")


def _read_menu(question: Question, intent: Intent, catalogue: Catalogue) -> Reading:
    if intent.channel == "voice":
        number = int(intent.text) if intent.text.isdigit() and len(intent.text) == 1 else 0
    else:
        keywords = [
            catalogue.words(f"questions.{question.name}.options.{option.value}")
            for option in question.options
        ]
        number = words.match_option(intent.text, keywords) or 0
    option = question.option(number)
    return Reading(value=option.value) if option else Reading(problem="not_understood")


def _read_date(
    question: Question, intent: Intent, catalogue: Catalogue, answers: dict[str, str], today: date
) -> Reading:
    unknown = catalogue.entry(f"questions.{question.name}.unknown") or {}
    if question.unknown and _says_unknown(intent, unknown):
        return Reading(value=UNKNOWN)
    if intent.channel == "voice":
        reading = dates.read_keypad_date(intent.text, today, future=question.future)
    else:
        reading = dates.read_text_date(intent.text, today, future=question.future)
    if reading.value is None:
        return Reading(problem=f"date_problem.{reading.problem}")
    earliest = answers.get(question.not_before or "")
    if earliest and earliest != UNKNOWN and reading.value < date.fromisoformat(earliest):
        return Reading(problem="date_problem.before_decision")
    return Reading(value=reading.value.isoformat())


def _says_unknown(intent: Intent, unknown: dict) -> bool:
    if intent.channel == "voice":
        return intent.text == str(unknown.get("voice", ""))
    return words.normalise(intent.text) in {words.normalise(w) for w in unknown.get("sms", ())}


def _read_council(
    question: Question,
    intent: Intent,
    catalogue: Catalogue,
    directory: Directory,
    voice_councils: list[Council],
) -> Reading:
    if intent.channel == "voice":
        index = int(intent.text) - 1 if intent.text.isdigit() and len(intent.text) == 1 else -1
        if 0 <= index < len(voice_councils):
            return Reading(value=voice_councils[index].code)
        return Reading(problem="not_understood")
    dont_know = {words.normalise(w) for w in catalogue.words(f"questions.{question.name}.dont_know")}
    if words.normalise(intent.text) in dont_know:
        return Reading(problem="council_problem.dont_know")
    found = directory.find(intent.text)
    if len(found) == 1:
        return Reading(value=found[0].code)
    return Reading(problem="council_problem.not_found")
