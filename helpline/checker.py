"""Is the flow sound, and do the prompts have every word it needs, in every language?

Run at start-up (a broken edit never reaches a caller), by `helpline check` and
by the tests. Each problem names the file and line to fix.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from collections.abc import Iterator
from datetime import date, timedelta

from helpline import gsm7
from helpline.engine.intents import TEXT_COMMANDS
from helpline.flow import COMMANDS, HELP, KEY_COMMANDS, KINDS, UPDATE, Flow, Question
from helpline.prompts import CHANNELS, Catalogue
from helpline.rules import reminders
from helpline.rules.routes import Capacity, Dispute, Situation, advise

# Segment budgets the README states: a question (with any line before it) and
# the summary. A GSM-7 segment is 160 characters alone, 153 when concatenated.
QUESTION_SEGMENTS = 3
# The summary is two texts: the route and dates, then who to contact.
SUMMARY_SEGMENTS = 5
CONTACTS_SEGMENTS = 3

# Words the engine says outside questions, and the channels each is said on.
MESSAGES: dict[str, tuple[str, ...]] = {
    "messages.welcome": ("sms", "voice"),
    "messages.keys": ("voice",),
    "messages.welcome_back": ("sms", "voice"),
    "messages.not_understood": ("sms", "voice"),
    "messages.no_input": ("voice",),
    "messages.first_question": ("sms", "voice"),
    "messages.restarted": ("sms", "voice"),
    "messages.adviser_requested": ("sms", "voice"),
    "messages.adviser_needs_number": ("voice",),
    "messages.stopped": ("sms", "voice"),
    "messages.restarted_messages": ("sms",),
    "messages.goodbye_no_answer": ("voice",),
    "messages.goodbye_no_answer_no_text": ("voice",),
    "messages.continue_by_text": ("sms",),
    "messages.council_by_text": ("voice",),
    "messages.summary_by_text": ("voice",),
    "messages.summary_hidden_number": ("voice",),
    "messages.summary_no_texts": ("voice",),
    "messages.done": ("sms",),
    **{f"messages.date_problem.{p}": ("sms", "voice") for p in
       ("unreadable", "impossible", "future", "too_old", "past", "too_far", "before_decision")},
    "messages.help_opted_out": ("sms",),
    "messages.reminders_off": ("sms",),
    "messages.reminders_on": ("sms",),
    "summary.reminders": ("sms",),
    "reminders.footer": ("sms",),
    "messages.council_problem.not_found": ("sms",),
    "messages.council_problem.choose": ("sms",),
    "messages.council_problem.too_many": ("sms",),
    "messages.council_problem.dont_know": ("sms",),
    "summary.heading": ("sms",),
    "summary.steps.passed": ("sms", "voice"),
    "summary.keep_copies": ("sms",),
    **{f"summary.contacts.{c}": ("sms",) for c in
       ("heading", "provider", "adviser", "sendiass", "local_offer", "checked", "no_entry", "national")},
}
# The names the contact lines may use, with sample values.
_CONTACT = {"name": "Mediation Ltd", "phone": "0161 496 0000", "email": "a@example.org", "website": "example.org"}
SAMPLE_VALUES: dict[str, dict[str, object]] = {
    "messages.council_problem.choose": {"choices": ["Manchester City Council", "Kent County Council"]},
    "summary.contacts.heading": {"council": "Manchester City Council"},
    "summary.contacts.provider": _CONTACT,
    "summary.contacts.adviser": _CONTACT,
    "summary.contacts.sendiass": _CONTACT,
    "summary.contacts.local_offer": {"url": "example.org/local-offer"},
    "summary.contacts.checked": {"checked": date(2026, 11, 1)},
}
SAMPLE_DATE = date(2027, 9, 30)  # a Thursday in September: a long written date
OTHER_DATE = date(2026, 1, 2)  # differs from SAMPLE_DATE in every part, so any date code tells them apart


class CheckFailed(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("the flow or prompts have problems:\n" + "\n".join(problems))
        self.problems = problems


def check(flow: Flow, catalogues: dict[str, Catalogue]) -> list[str]:
    """Every problem in the flow and in each language's prompts; empty when sound."""
    problems = [flow.unreadable] if flow.unreadable else list(_check_flow(flow))
    if not catalogues:
        problems.append("prompts: no language files (prompts/<language>.yaml)")
    for code, catalogue in catalogues.items():
        if catalogue.unreadable:
            problems.append(catalogue.unreadable)
            continue
        if code != catalogue.language:  # load_catalogues keeps a second file for a language under its path
            first = catalogues[catalogue.language].path
            problems.append(f"{catalogue.path}:{_line(catalogue, 'language')}: language {catalogue.language!r} "
                            f"is already declared by {first}: give each language one file")
        problems += _check_prompts(flow, catalogue)
    return problems


# -- the flow ---------------------------------------------------------------


def _check_flow(flow: Flow) -> Iterator[str]:
    where = lambda line: f"{flow.path}:{line}"  # noqa: E731
    names = set(flow.questions)
    if flow.start not in names:
        yield f"{where(flow.start_line)}: start question {flow.start!r} is not defined"
    savers = {q.saves: q for q in flow.questions.values() if q.saves}
    for q in flow.questions.values():
        if q.kind not in KINDS:
            yield f"{where(q.line)}: question {q.name!r} has kind {q.kind!r}; use one of {', '.join(KINDS)}"
            continue
        if q.kind == "menu" and not q.options:
            yield f"{where(q.line)}: menu {q.name!r} has no options"
        if q.kind == "menu" and len(q.options) > 9:
            yield f"{where(q.line)}: menu {q.name!r} has {len(q.options)} options; a keypad has 9"
        if q.kind in ("date", "council") and not q.next:
            yield f"{where(q.line)}: question {q.name!r} says nowhere to go next"
        if q.kind == "end" and (q.options or q.next):
            yield f"{where(q.line)}: {q.name!r} is an end: it cannot lead anywhere"
        for option in q.options:
            if not option.value:
                yield f"{where(option.line)}: an option of {q.name!r} has no value"
            if bool(option.next) == bool(option.do):
                yield f"{where(option.line)}: option {option.value!r} of {q.name!r} needs either next or do"
            if option.next and option.next not in names:
                yield f"{where(option.line)}: option {option.value!r} leads to unknown question {option.next!r}"
            if option.do and option.do not in COMMANDS:
                yield f"{where(option.line)}: option {option.value!r} does {option.do!r}; use one of {', '.join(COMMANDS)}"
        yield from _check_next(flow, q, savers)
        if q.not_before and q.not_before not in savers:
            yield f"{where(q.line)}: {q.name!r} is not_before {q.not_before!r}, which no question saves"
    yield from _check_reachable(flow)
    yield from _check_keys(flow)


def _check_next(flow: Flow, q: Question, savers: dict[str, Question]) -> Iterator[str]:
    """Each way out leads to a question, and tests answers against values they can have:
    a 'when' that can never match sends every caller the other way without a word."""
    for n, branch in enumerate(q.next):
        where = f"{flow.path}:{branch.line}"
        if branch.goto not in flow.questions:
            yield f"{where}: {q.name!r} leads to unknown question {branch.goto!r}"
        for answer, value in branch.when:
            saver = savers.get(answer)
            if saver is None:
                yield f"{where}: {q.name!r} tests {answer!r}, which no question saves"
                continue
            values = [option.value for option in saver.options]
            if saver.kind == "menu" and value not in values:
                yield (f"{where}: {q.name!r} tests {answer!r} for {value!r}, which is not an option of "
                       f"{saver.name!r}; options are {', '.join(values)}")
        if n == len(q.next) - 1 and branch.when:
            yield f"{where}: the last way out of {q.name!r} must have no 'when'"


def _leads_to(q: Question) -> set[str]:
    return {o.next for o in q.options if o.next} | {b.goto for b in q.next}


def _check_reachable(flow: Flow) -> Iterator[str]:
    seen, todo = set(), [flow.start, *(name for name in (HELP, UPDATE) if name in flow.questions)]
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.questions:
            continue
        seen.add(name)
        todo += _leads_to(flow.questions[name])
    for q in flow.questions.values():
        if q.name not in seen and q.name != HELP:
            yield f"{flow.path}:{q.line}: question {q.name!r} cannot be reached from {flow.start!r}"
    ends = {q.name for q in flow.questions.values() if q.kind == "end"}
    finishing = set(ends)
    changed = True
    while changed:
        changed = False
        for q in flow.questions.values():
            if q.name not in finishing and _leads_to(q) & finishing:
                finishing.add(q.name)
                changed = True
    for q in flow.questions.values():
        if q.name in seen and q.name not in finishing and q.name != HELP:
            yield f"{flow.path}:{q.line}: from {q.name!r} there is no way to reach the end"


def _check_keys(flow: Flow) -> Iterator[str]:
    widest = max((len(q.options) for q in flow.questions.values()), default=0)
    first: dict[str, str] = {}  # each key, and the first command given it
    for command, key in flow.keys.items():
        where = f"{flow.path}:{flow.key_lines[command]}: keys:"
        if command not in KEY_COMMANDS:
            yield f"{where} {command!r} is not a keypad command ({', '.join(KEY_COMMANDS)})"
        if len(key) != 1 or key not in "0123456789*#":
            yield f"{where} {command!r} must be one key: 0-9, * or #"
        elif key.isdigit() and 0 < int(key) <= widest:
            yield f"{where} {command!r} uses {key}, which a menu with {widest} options needs"
        if key in first:
            yield f"{where} {command!r} and {first[key]!r} share a key: {key}"
        first.setdefault(key, command)
    for command in KEY_COMMANDS:
        if command not in flow.keys:
            yield f"{flow.path}:{flow.keys_line}: keys: no key for {command!r}"


# -- the prompts ------------------------------------------------------------


def _check_prompts(flow: Flow, catalogue: Catalogue) -> list[str]:
    """Every text the flow and the engine say in this language, rendered as the helpline will."""
    problems = _check_dates(catalogue)
    if problems:  # every date is written with these formats: a broken one fails each dated text
        return problems
    path = catalogue.path
    for key, channels in MESSAGES.items():
        problems += _need(catalogue, key, channels, **SAMPLE_VALUES.get(key, {}))
    for command in TEXT_COMMANDS:
        if not catalogue.words(f"commands.{command}"):
            problems.append(f"{path}:{_line(catalogue, 'commands')}: no words for the {command} command")
    for q in flow.questions.values():
        base = f"questions.{q.name}"
        if q.kind != "end":
            problems += _need(catalogue, f"{base}.ask", CHANNELS)
        for option in q.options:
            problems += _need(catalogue, f"{base}.options.{option.value}", CHANNELS, key=1)
            if not catalogue.words(f"{base}.options.{option.value}"):
                problems.append(f"{path}:{_line(catalogue, base)}: no words for option {option.value!r} of {q.name!r}")
        if q.kind == "council":
            problems += _need(catalogue, f"{base}.option", ("voice",), council="Manchester City Council", key=1)
    problems += _check_unknowns(flow, catalogue)
    problems += _check_summaries(catalogue)
    problems += _check_sms_text(flow, catalogue)
    return list(dict.fromkeys(problems))  # a text shared by both channels has its problems once


def _need(catalogue: Catalogue, key: str, channels: tuple[str, ...], /, **values: object) -> Iterator[str]:
    """Each channel's text exists and renders with the values the helpline gives it,
    blamed on the channel's own line where the entry is a {sms, voice} pair."""
    for channel in channels:
        where = f"{catalogue.path}:{_line(catalogue, f'{key}.{channel}')}"
        text = catalogue.text(key, channel)
        if text is None:
            yield f"{where}: missing {channel} text for {key}"
            continue
        try:
            catalogue.render(key, channel, **values)
        except (KeyError, IndexError, AttributeError, ValueError) as error:
            yield f"{where}: {key} ({channel}) uses an unknown name {error}"
        if channel == "voice" and "key" in values and "{key}" not in text:
            yield f"{where}: {key} (voice) must say which key: {{key}}"
        if isinstance(values.get("due"), date) and "{due}" not in text:
            yield f"{where}: {key} must state the date: {{due}}"


def _check_dates(catalogue: Catalogue) -> list[str]:
    """A date format for each channel: Catalogue.format_value writes every date with it."""
    problems = []
    for channel in CHANNELS:
        key = f"dates.{channel}"
        where = f"{catalogue.path}:{_line(catalogue, key)}"
        form = catalogue.entry(key)
        if form is None:
            problems.append(f"{where}: missing {channel} date format: {key}")
        elif not _writes_dates(form):
            problems.append(f"{where}: {key} is {form!r}, which strftime cannot write a date with: try '%-d %B %Y'")
    return problems


def _writes_dates(form: object) -> bool:
    """Whether strftime takes the format and it tells dates apart: glibc passes an
    unknown code through as text, so a broken format would write no date at all."""
    try:
        return isinstance(form, str) and SAMPLE_DATE.strftime(form) != OTHER_DATE.strftime(form)
    except ValueError:
        return False


def _check_unknowns(flow: Flow, catalogue: Catalogue) -> Iterator[str]:
    """A date the caller may not have needs words and a key for that; voice.read takes
    a keypad command's key as the command, so the key must not be one."""
    commands = {key: command for command, key in flow.keys.items()}
    for q in flow.questions.values():
        if q.kind != "date" or not q.unknown:
            continue
        base = f"questions.{q.name}"
        unknown = catalogue.entry(f"{base}.unknown")
        if not (isinstance(unknown, dict) and unknown.get("sms") and unknown.get("voice")):
            yield f"{catalogue.path}:{_line(catalogue, base)}: {q.name!r} needs unknown: sms words and a voice key"
        elif str(unknown["voice"]) in commands:
            command = commands[str(unknown["voice"])]
            said_at = f"{catalogue.path}:{_line(catalogue, f'{base}.unknown.voice')}"
            yield (f"{flow.path}:{flow.key_lines[command]}: keys: {command!r} uses {unknown['voice']}, which "
                   f"{q.name!r} takes for 'I do not have it' ({said_at})")


def _situations() -> Iterator[Situation]:
    """Every kind of answer set the flow can save: each capacity once (they only
    add a note), then every dispute and answer, before and after the caller tells
    us when they told the adviser, when mediation is, or that it is resolved."""
    today, decided = SAMPLE_DATE, SAMPLE_DATE - timedelta(days=20)
    for capacity in Capacity:
        yield Situation(capacity, today, Dispute.PLAN_CONTENTS, decided)
    later = [{}, {"told_adviser_date": decided}, {"mediation_date": today + timedelta(days=10)}, {"resolved": True}]
    for dispute, decision, contacted, certificate, wants in itertools.product(
        [None, *Dispute], [None, decided], *[[None, True, False]] * 3
    ):
        for cert_date in {None, decision if certificate else None}:
            for told in later:
                yield Situation(
                    Capacity.PARENT, today, dispute, decision, contacted, certificate, cert_date, wants, **told
                )


@lru_cache(maxsize=1)
def _summary_texts() -> tuple[tuple[str, tuple[str, ...], dict[str, object]], ...]:
    """Every route, step, note and reminder the rules can give, with the channels
    and values they are rendered with. Computed once: the rules are code, not data."""
    texts: dict[str, tuple[tuple[str, ...], dict[str, object]]] = {}
    for situation in _situations():
        advice = advise(situation)
        texts[f"summary.routes.{advice.route}"] = (CHANNELS, {})
        for step in advice.steps:
            texts[f"summary.steps.{step.key}.{'dated' if step.due else 'undated'}"] = (CHANNELS, {"due": step.due})
        texts.update((f"summary.notes.{note}", (("sms",), {})) for note in advice.notes)
        for reminder in reminders.plan(advice, date.min, (1,)):
            texts[f"reminders.{reminder.kind}.{reminder.step}"] = (("sms",), {"due": reminder.due})
    return tuple((key, channels, values) for key, (channels, values) in sorted(texts.items()))


def _check_summaries(catalogue: Catalogue) -> list[str]:
    """Each route, step and note renders on its channels, as Words.summary says it."""
    return [
        problem for key, channels, values in _summary_texts() for problem in _need(catalogue, key, channels, **values)
    ]


def _check_sms_text(flow: Flow, catalogue: Catalogue) -> list[str]:
    """GSM-7 only, and each question within its segment budget."""
    problems = []
    for key, line, text in _sms_strings(catalogue.data):
        bad = gsm7.non_gsm_characters(text)
        if bad:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in bad)
            problems.append(f"{catalogue.path}:{line}: {key} has characters outside GSM-7: {shown}")
    for q in flow.questions.values():
        if q.kind in ("end",) or catalogue.text(f"questions.{q.name}.ask", "sms") is None:
            continue
        text = "\n".join(
            [catalogue.text(f"questions.{q.name}.ask", "sms") or ""]
            + [f"{n} {catalogue.text(f'questions.{q.name}.options.{o.value}', 'sms')}" for n, o in enumerate(q.options, 1)]
        )
        if q.name == flow.start:
            text = (catalogue.text("messages.welcome", "sms") or "") + "\n" + text
        if gsm7.segments(text) > QUESTION_SEGMENTS:
            problems.append(
                f"{catalogue.path}:{_line(catalogue, f'questions.{q.name}')}: question {q.name!r} takes "
                f"{gsm7.segments(text)} SMS segments; the budget is {QUESTION_SEGMENTS}"
            )
    return problems


def _sms_strings(node: object, key: str = "", line: int = 0) -> Iterator[tuple[str, int, str]]:
    """Every string a caller may read by SMS: not voice entries, not matching words."""
    if isinstance(node, dict):
        for name, child in node.items():
            if name in ("voice", "words", "voice_language", "dates", "language"):
                continue
            child_line = node.line_of(name) if hasattr(node, "line_of") else line
            yield from _sms_strings(child, f"{key}.{name}" if key else str(name), child_line)
    elif isinstance(node, str):
        yield key, line, node


def _line(catalogue: Catalogue, key: str) -> int:
    """The line of the deepest part of a dotted key that exists in the file."""
    node: object = catalogue.data
    line = 1
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            break
        line = node.line_of(part) if hasattr(node, "line_of") else line
        node = node[part]
    return line
