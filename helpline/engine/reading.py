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


CHOICES = "council_choices"  # councils offered when a name fitted several


@dataclass(frozen=True)
class Reading:
    value: str | None = None
    problem: str | None = None  # a prompt key under messages.
    choices: tuple[Council, ...] = ()  # councils to offer by number


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
        return _read_council(question, intent, catalogue, directory, voice_councils, answers)
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
    answers: dict[str, str],
) -> Reading:
    if intent.channel == "voice":
        return _pick(intent.text, voice_councils)
    offered = [c for c in map(directory.get, answers.get(CHOICES, "").split(",")) if c]
    if offered and (picked := _pick(intent.text, offered)).value:
        return picked
    dont_know = {words.normalise(w) for w in catalogue.words(f"questions.{question.name}.dont_know")}
    if words.normalise(intent.text) in dont_know:
        return Reading(problem="council_problem.dont_know")
    found = directory.lookup(intent.text)
    if len(found.councils) == 1:
        return Reading(value=found.councils[0].code)
    if found.councils:
        return Reading(problem="council_problem.choose", choices=tuple(found.councils))
    return Reading(problem="council_problem.too_many" if found.too_many else "council_problem.not_found")


def _pick(text: str, councils: list[Council]) -> Reading:
    """A council by its number in the list the caller heard or read."""
    number = words.match_option(text, [[] for _ in councils]) or 0
    if 1 <= number <= len(councils):
        return Reading(value=councils[number - 1].code)
    return Reading(problem="not_understood")
