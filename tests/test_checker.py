"""The start-up checker: the shipped flow and prompts are sound, and each kind of
broken edit is reported against the file and the line to fix.

Every breakage is made on a copy of flows/ and prompts/ in tmp_path by one
textual edit, and the expected line is computed from the edited text, so the
tests follow the YAML as it changes and assert exact "path:line: " prefixes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpline import gsm7
from helpline.checker import QUESTION_SEGMENTS, CheckFailed, check
from helpline.cli import main
from helpline.config import Settings
from helpline.flow import load_flow
from helpline.helpline import build
from helpline.prompts import load_catalogues

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"
PROMPTS = ROOT / "prompts"
FLOW_FILE = "helpline.yaml"
ENGLISH = "en-GB.yaml"
WELSH = "cy.yaml"


# -- helpers ----------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """A copy of the shipped flows/ and prompts/ folders, to break."""

    root: Path

    @property
    def flows(self) -> Path:
        return self.root / "flows"

    @property
    def prompts(self) -> Path:
        return self.root / "prompts"

    def file(self, which: str) -> Path:
        return {"flow": self.flows / FLOW_FILE, "en": self.prompts / ENGLISH, "cy": self.prompts / WELSH}[which]

    def problems(self) -> list[str]:
        return check(load_flow(self.flows / FLOW_FILE), load_catalogues(self.prompts))


def copy_shipped(tmp_path: Path) -> Copy:
    copy = Copy(tmp_path / "helpline")
    shutil.copytree(FLOWS, copy.flows)
    shutil.copytree(PROMPTS, copy.prompts)
    return copy


def add_welsh(copy: Copy) -> None:
    """A second language: the English prompts, relabelled as Welsh."""
    text = copy.file("en").read_text(encoding="utf-8")
    assert text.count("\nlanguage: en-GB\n") == 1
    copy.file("cy").write_text(text.replace("\nlanguage: en-GB\n", "\nlanguage: cy\n"), encoding="utf-8")


def edit(path: Path, old: str, new: str) -> str:
    """Replace the one occurrence of `old`; the edited text. Fails if `old` is not there."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should be in {path} exactly once: the test is out of date"
    edited = text.replace(old, new)
    path.write_text(edited, encoding="utf-8")
    return edited


def line_of(text: str, snippet: str) -> int:
    """The 1-based line where `snippet` (ignoring leading newlines) starts; it must be unique."""
    assert text.count(snippet) == 1, f"{snippet!r} should be in the edited text exactly once"
    start = text.index(snippet) + len(snippet) - len(snippet.lstrip("\n"))
    return text.count("\n", 0, start) + 1


def assert_reported(problems: list[str], path: Path, line: int, says: str) -> None:
    prefix = f"{path}:{line}: "
    shown = "\n".join(problems) or "(no problems)"
    assert any(p.startswith(prefix) and says in p for p in problems), (
        f"expected a problem starting {prefix!r} and saying {says!r}; got:\n{shown}"
    )


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No helpline setting from the developer's shell leaks into the CLI."""
    for name in list(os.environ):
        if name.startswith(("HELPLINE_", "TWILIO_")) or name in ("DATABASE_URL", "PUBLIC_BASE_URL"):
            monkeypatch.delenv(name)


def cli_env(tmp_path: Path, flows: Path, prompts: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HELPLINE_FLOWS_DIR": str(flows),
        "HELPLINE_PROMPTS_DIR": str(prompts),
    }


# -- the shipped files -------------------------------------------------------


def test_shipped_flow_and_prompts_are_sound() -> None:
    flow = load_flow(FLOWS / FLOW_FILE)
    catalogues = load_catalogues(PROMPTS)
    assert "en-GB" in catalogues
    assert check(flow, catalogues) == []


def test_an_untouched_copy_is_sound(tmp_path: Path) -> None:
    """The control for every breakage below: copying alone breaks nothing."""
    copy = copy_shipped(tmp_path)
    add_welsh(copy)
    assert copy.problems() == []


def test_cli_check_passes_on_the_shipped_files(tmp_path: Path, clean_env: None) -> None:
    result = CliRunner().invoke(main, ["check"], env=cli_env(tmp_path, FLOWS, PROMPTS))
    assert result.exit_code == 0, result.output
    assert f"ok: {FLOWS / FLOW_FILE} and the prompts in {PROMPTS} are sound" in result.output


# -- breakages ---------------------------------------------------------------


@dataclass(frozen=True)
class Breakage:
    file: str  # "flow", "en" or "cy" (a Welsh copy of the English prompts)
    old: str
    new: str
    says: str  # a phrase the problem must contain
    at: str | None = None  # a snippet of the edited text on the expected line; default `new`


LONG_ASK = " ".join(["Please look for the date printed near the top of the council's decision letter."] * 7)

WANTS_MEDIATION_OPTIONS = (
    '      - {value: "yes", next: council}\n'
    '      - {value: "no", next: council}\n'
    "      - {value: not_sure, next: council}\n"
)
SOMEONE_ELSE_PROMPT = (
    "      someone_else:\n"
    "        sms: Someone else\n"
    "        voice: If you are someone else, press {key}.\n"
    "        words: [someone else, other, grandparent, friend]\n"
)
FIRST_QUESTION_MESSAGE = (
    "  first_question:\n"
    '    sms: "This is the first question."\n'
    '    voice: "This is the first question."\n'
)

BREAKAGES = [
    # -- the flow --
    pytest.param(
        Breakage("flow", "- {value: school, next: council}", "- {value: school, next: counsil}",
                 "option 'school' leads to unknown question 'counsil'"),
        id="flow-option-leads-to-unknown-question",
    ),
    pytest.param(
        Breakage("flow", "    saves: council\n    next: summary\n", "    saves: council\n    next: sumary\n",
                 "'council' leads to unknown question 'sumary'", at="    next: sumary"),
        id="flow-next-leads-to-unknown-question",
    ),
    pytest.param(
        Breakage("flow", '- {value: "yes", next: certificate_date}', '- {value: "yes", next: council}',
                 "question 'certificate_date' cannot be reached from 'capacity'", at="  certificate_date:\n"),
        id="flow-unreachable-question",
    ),
    pytest.param(
        Breakage("flow", WANTS_MEDIATION_OPTIONS, '      - {value: "yes", next: wants_mediation}\n',
                 "from 'wants_mediation' there is no way to reach the end", at="  wants_mediation:\n"),
        id="flow-menu-looping-on-itself-never-ends",
    ),
    pytest.param(
        Breakage("flow", "    kind: council\n", "    kind: county\n",
                 "question 'council' has kind 'county'; use one of menu, date, council, end",
                 at="  council:\n    kind: county"),
        id="flow-unknown-kind",
    ),
    pytest.param(
        Breakage("flow", "{when: {dispute: placement_only}, goto: council}",
                 "{when: {disputes: placement_only}, goto: council}",
                 "'decision_date' tests 'disputes', which no question saves"),
        id="flow-when-tests-unsaved-answer",
    ),
    pytest.param(
        Breakage("flow", "- {goto: contacted_adviser}", "- {when: {dispute: plan_refused}, goto: contacted_adviser}",
                 "the last way out of 'decision_date' must have no 'when'"),
        id="flow-last-branch-has-when",
    ),
    pytest.param(
        Breakage("flow", "    unknown: true\n    not_before: decision_date", "    unknown: true\n    not_before: decision_day",
                 "'certificate_date' is not_before 'decision_day', which no question saves",
                 at="  certificate_date:\n"),
        id="flow-not-before-unsaved-answer",
    ),
    pytest.param(
        Breakage("flow", "- {value: stop, do: stop}", "- {value: stop, do: halt}",
                 "option 'stop' does 'halt'; use one of adviser, restart, stop, return"),
        id="flow-unknown-command",
    ),
    pytest.param(
        Breakage("flow", "- {value: someone_else, next: dispute}", "- {value: someone_else}",
                 "option 'someone_else' of 'capacity' needs either next or do"),
        id="flow-option-goes-nowhere",
    ),
    pytest.param(
        Breakage("flow", "start: capacity", "start: capacty", "start question 'capacty' is not defined"),
        id="unknown-start-blamed-on-line-1",
    ),
    pytest.param(
        Breakage("flow", "{when: {dispute: placement_only}, goto: council}",
                 "{when: {dispute: placement}, goto: council}",
                 "'decision_date' tests 'dispute' for 'placement', which is not an option of 'dispute'; options are "
                 "sen_support, assessment_refused, plan_refused, plan_contents, ceasing_plan, health_social_care, "
                 "placement_only, not_sure"),
        id="when-compares-with-a-value-never-saved",
    ),
    pytest.param(
        Breakage("flow", "  summary:\n    kind: end\n", "  summary:\n    kind: end\n\n  council:\n    kind: end\n",
                 "not valid YAML: 'council' is given twice in one mapping, on lines ",
                 at="  council:\n    kind: end"),
        id="duplicate-question-name",
    ),
    # -- keypad keys, reported at the key's line --
    pytest.param(
        Breakage("flow", 'back: "0"', 'back: "1"', "keys: 'back' uses 1, which a menu with 8 options needs"),
        id="key-clash-has-no-line",
    ),
    pytest.param(
        Breakage("flow", 'back: "0"', 'back: "*"', "keys: 'back' and 'repeat' share a key: *"),
        id="shared-key-has-no-line",
    ),
    pytest.param(
        Breakage("flow", 'help: "#"', 'help: "9"',
                 "keys: 'help' uses 9, which 'decision_date' takes for 'I do not have it'"),
        id="help-key-clashes-with-date-unknown-key",
    ),
    # -- missing words --
    pytest.param(
        Breakage("en", SOMEONE_ELSE_PROMPT, "", "missing sms text for questions.capacity.options.someone_else",
                 at="    options:\n      parent:"),
        id="prompts-missing-option",
    ),
    pytest.param(
        Breakage("en", SOMEONE_ELSE_PROMPT, "", "no words for option 'someone_else' of 'capacity'",
                 at="  capacity:\n    ask:"),
        id="prompts-missing-option-words",
    ),
    pytest.param(
        Breakage("en", FIRST_QUESTION_MESSAGE, "", "missing sms text for messages.first_question", at="\nmessages:\n"),
        id="prompts-missing-message",
    ),
    pytest.param(
        Breakage("en", "    voice: \"OK, let's start again.\"\n", "", "missing voice text for messages.restarted",
                 at="  restarted:\n"),
        id="prompts-missing-voice-half",
    ),
    pytest.param(
        Breakage("en", '    disagreement_resolution_any_time: "Disagreement resolution can be used at any time."\n', "",
                 "missing sms text for summary.notes.disagreement_resolution_any_time", at="  notes:\n"),
        id="prompts-missing-summary-note",
    ),
    pytest.param(
        Breakage("en", "  restart: [restart, start again, start over, reset]\n", "",
                 "no words for the restart command", at="\ncommands:\n"),
        id="prompts-missing-command-words",
    ),
    # -- characters outside GSM-7, reported with the character --
    pytest.param(
        Breakage("en", 'sms: "Sorry, I did not understand that."', 'sms: "Sorry, I didn\u2019t understand that."',
                 "messages.not_understood.sms has characters outside GSM-7: '\u2019' (U+2019)"),
        id="gsm7-curly-quote",
    ),
    pytest.param(
        Breakage("en", "decision letter or its Local Offer.", "decision letter \u2013 or its Local Offer.",
                 "summary.contacts.no_entry has characters outside GSM-7: '\u2013' (U+2013)",
                 at="    no_entry:"),
        id="gsm7-en-dash",
    ),
    pytest.param(
        Breakage("en", "sms: Only the school or college named in the plan",
                 "sms: Only the school or college \u2014 named in the plan",
                 "questions.dispute.options.placement_only.sms has characters outside GSM-7: '\u2014' (U+2014)"),
        id="gsm7-em-dash",
    ),
    pytest.param(
        Breakage("en", '"You need not agree in mediation,"',
                 '"You need not agree in mediation\u2026"',
                 "summary.notes.mediation_voluntary has characters outside GSM-7: '\u2026' (U+2026)"),
        id="gsm7-ellipsis",
    ),
    # -- the names in braces --
    pytest.param(
        Breakage("en", "voice: If you are someone else, press {key}.", "voice: If you are someone else, press 5.",
                 "questions.capacity.options.someone_else (voice) must say which key: {key}"),
        id="voice-without-key-blamed-on-entry-line",
    ),
    pytest.param(
        Breakage("en", "voice: For {council}, press {key}.", "voice: For {council}, press one.",
                 "questions.council.option (voice) must say which key: {key}"),
        id="voice-council-option-without-key",
    ),
    pytest.param(
        Breakage("en", 'dated: "Appeal to reach the Tribunal by {due}."', 'dated: "Appeal so the Tribunal gets it soon."',
                 "summary.steps.appeal_with_certificate.dated must state the date: {due}"),
        id="dated-step-without-due",
    ),
    pytest.param(
        Breakage("en", '"Keep copies of all you send, with', '"Keep copies of all you send to {council}, with',
                 "summary.keep_copies (sms) uses an unknown name 'council'"),
        id="prompt-uses-unknown-name",
    ),
    pytest.param(
        Breakage("en", 'sms: "Welcome back. Here is where', 'sms: "Welcome back, {name}. Here is where',
                 "messages.welcome_back (sms) uses an unknown name 'name'"),
        id="unknown-name-blamed-on-entry-line",
    ),
    pytest.param(
        Breakage("en", 'undated: "Contact your local SENDIASS for free, impartial advice."',
                 'undated: "Contact your local SENDIASS {council} for free, impartial advice."',
                 "summary.steps.get_advice.undated (sms) uses an unknown name 'council'"),
        id="unknown-name-in-summary-step",
    ),
    pytest.param(
        Breakage("en", 'dated: "Contact the council\'s mediation adviser by {due}."',
                 'dated: "Contact the council\'s mediation adviser by {due} at {council}."',
                 "summary.steps.contact_adviser.dated (voice) uses an unknown name 'council'"),
        id="unknown-name-in-dated-summary-step",
    ),
    pytest.param(
        Breakage("en", 'sms: "Your route: mediation, then', 'sms: "Your route: {route}, then',
                 "summary.routes.mediation (sms) uses an unknown name 'route'"),
        id="unknown-name-in-summary-route",
    ),
    pytest.param(
        Breakage("en", '"You need not agree in mediation,"', '"You need not agree in {council} mediation,"',
                 "summary.notes.mediation_voluntary (sms) uses an unknown name 'council'"),
        id="unknown-name-in-summary-note",
    ),
    pytest.param(
        Breakage("en", 'voice: "That date has passed, so', 'voice: "{due} has passed, so',
                 "summary.steps.passed (voice) uses an unknown name 'due'"),
        id="unknown-name-in-date-passed",
    ),
    # -- date formats --
    pytest.param(
        Breakage("en", '  voice: "%A %-d %B %Y"       # Friday 3 April 2027\n', "",
                 "missing voice date format: dates.voice", at="\ndates:"),
        id="missing-voice-date-format",
    ),
    pytest.param(
        Breakage("en", 'sms: "%a %-d %b %Y"', 'sms: "%Q"',
                 "dates.sms is '%Q', which strftime cannot write a date with: try '%-d %B %Y'"),
        id="date-format-strftime-cannot-use",
    ),
    # -- a file that is not valid YAML is a problem like any other --
    pytest.param(
        Breakage("en", '  done:\n    sms: "You have had your summary.', '  restarted:\n    sms: "You have had your summary.',
                 "not valid YAML: 'restarted' is given twice in one mapping, on lines ",
                 at='  restarted:\n    sms: "You have had your summary.'),
        id="prompts-duplicate-key",
    ),
    # -- segment budget --
    pytest.param(
        Breakage("en", "sms: \"What date is on the council's decision letter? For example 3 March 2027. "
                 "Text NO LETTER if you do not have it.\"", f'sms: "{LONG_ASK}"',
                 f"question 'decision_date' takes {gsm7.segments(LONG_ASK)} SMS segments; "
                 f"the budget is {QUESTION_SEGMENTS}", at="  decision_date:\n    ask:"),
        id="sms-question-over-budget",
    ),
    # -- a second language --
    pytest.param(
        Breakage("cy", '  done:\n    sms: "You have had your summary.', '  dne:\n    sms: "You have had your summary.',
                 "missing sms text for messages.done", at="\nmessages:\n"),
        id="second-language-missing-message",
    ),
    pytest.param(
        Breakage("cy", SOMEONE_ELSE_PROMPT, "", "missing voice text for questions.capacity.options.someone_else",
                 at="    options:\n      parent:"),
        id="second-language-missing-option",
    ),
]


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_breakage_is_reported_at_its_line(tmp_path: Path, breakage: Breakage) -> None:
    copy = copy_shipped(tmp_path)
    if breakage.file == "cy":
        add_welsh(copy)
    path = copy.file(breakage.file)
    edited = edit(path, breakage.old, breakage.new)
    line = line_of(edited, breakage.at if breakage.at is not None else breakage.new)

    problems = copy.problems()

    assert_reported(problems, path, line, breakage.says)
    # Only the edited file is blamed (so a Welsh slip is never laid at the English file's door).
    assert all(p.startswith(f"{path}:") for p in problems), "\n".join(problems)


def test_non_gsm_characters_are_fine_in_voice_text(tmp_path: Path) -> None:
    """Speech is not SMS: a curly quote in a voice-only text is not a problem."""
    copy = copy_shipped(tmp_path)
    edit(copy.file("en"), 'voice: "Sorry, I did not get that."', 'voice: "Sorry, I didn\u2019t get that \u2014 sorry\u2026"')
    assert copy.problems() == []


def test_every_character_is_named_once(tmp_path: Path) -> None:
    copy = copy_shipped(tmp_path)
    path = copy.file("en")
    edited = edit(path, '"Sorry, I did not understand that."', '"Sorry \u2014 I didn\u2019t understand that\u2026 didn\u2019t."')
    line = line_of(edited, "didn\u2019t understand")
    assert f"{path}:{line}: messages.not_understood.sms has characters outside GSM-7: " \
        "'\u2014' (U+2014), '\u2019' (U+2019), '\u2026' (U+2026)" in copy.problems()


def test_no_language_files(tmp_path: Path) -> None:
    empty = tmp_path / "prompts"
    empty.mkdir()
    problems = check(load_flow(FLOWS / FLOW_FILE), load_catalogues(empty))
    assert problems == ["prompts: no language files (prompts/<language>.yaml)"]


def test_two_files_for_one_language_are_reported(tmp_path: Path) -> None:
    """Both files are checked (neither silently replaces the other), and the second is named."""
    copy = copy_shipped(tmp_path)
    shutil.copy(copy.file("en"), copy.file("cy"))  # forgot to change `language: en-GB`
    edited = edit(copy.file("cy"), FIRST_QUESTION_MESSAGE, "")
    messages = line_of(edited, "\nmessages:")
    language = line_of(copy.file("en").read_text(encoding="utf-8"), "\nlanguage: en-GB")
    assert copy.problems() == [
        f"{copy.file('cy')}:{messages}: missing sms text for messages.first_question",
        f"{copy.file('cy')}:{messages}: missing voice text for messages.first_question",
        f"{copy.file('en')}:{language}: language 'en-GB' is already declared by {copy.file('cy')}: "
        "give each language one file",
    ]


# -- the CLI and start-up ------------------------------------------------------


def unknown_question(tmp_path: Path) -> tuple[Copy, str]:
    """A broken copy and the exact problem it must produce."""
    copy = copy_shipped(tmp_path)
    path = copy.file("flow")
    edited = edit(path, "- {value: school, next: council}", "- {value: school, next: counsil}")
    line = line_of(edited, "next: counsil")
    return copy, f"{path}:{line}: option 'school' leads to unknown question 'counsil'"


def test_cli_check_fails_on_a_broken_copy(tmp_path: Path, clean_env: None) -> None:
    copy, problem = unknown_question(tmp_path)
    result = CliRunner().invoke(main, ["check"], env=cli_env(tmp_path, copy.flows, copy.prompts))
    assert result.exit_code == 1, result.output
    assert problem in result.output.splitlines()
    assert "ok:" not in result.output


def test_cli_check_names_the_welsh_file(tmp_path: Path, clean_env: None) -> None:
    copy = copy_shipped(tmp_path)
    add_welsh(copy)
    edited = edit(copy.file("cy"), FIRST_QUESTION_MESSAGE, "")
    problem = f"{copy.file('cy')}:{line_of(edited, chr(10) + 'messages:')}: missing sms text for messages.first_question"
    result = CliRunner().invoke(main, ["check"], env=cli_env(tmp_path, copy.flows, copy.prompts))
    assert result.exit_code == 1, result.output
    assert problem in result.output.splitlines()


def test_cli_check_reports_a_file_yaml_cannot_read(tmp_path: Path, clean_env: None) -> None:
    """A duplicate key names both lines, as a problem like any other: exit 1, no traceback."""
    copy = copy_shipped(tmp_path)
    path = copy.file("flow")
    edited = edit(path, "  summary:\n    kind: end\n", "  summary:\n    kind: end\n\n  council:\n    kind: end\n")
    first, second = line_of(edited, "  council:\n    kind: council"), line_of(edited, "  council:\n    kind: end")
    result = CliRunner().invoke(main, ["check"], env=cli_env(tmp_path, copy.flows, copy.prompts))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    problem = f"{path}:{second}: not valid YAML: 'council' is given twice in one mapping, on lines {first} and {second}"
    assert problem in result.output.splitlines()


def settings_for(tmp_path: Path, copy: Copy) -> Settings:
    return Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'helpline.db'}",
            "HELPLINE_FLOWS_DIR": str(copy.flows),
            "HELPLINE_PROMPTS_DIR": str(copy.prompts),
        }
    )


def test_build_refuses_a_broken_copy(tmp_path: Path) -> None:
    copy, problem = unknown_question(tmp_path)
    with pytest.raises(CheckFailed) as failed:
        build(settings_for(tmp_path, copy))
    assert problem in failed.value.problems
    assert problem in str(failed.value)


def test_build_accepts_an_untouched_copy(tmp_path: Path) -> None:
    """The control: build() on the same kind of copy, unbroken, starts."""
    copy = copy_shipped(tmp_path)
    built = build(settings_for(tmp_path, copy))
    try:
        assert built.engine is not None
    finally:
        asyncio.run(built.close())
