"""The conversation as data: read flows/*.yaml into plain, frozen objects.

Reading is forgiving and records where things were; `helpline.checker` decides
whether a flow is sound and says which line is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpline import yamlfile

KINDS = ("menu", "date", "council", "end")
COMMANDS = ("adviser", "restart", "stop", "return")
KEY_COMMANDS = ("repeat", "back", "help")
HELP = "help"
UPDATE = "update"  # after the summary: the caller tells us something new
MAX_REPROMPTS = 3


@dataclass(frozen=True)
class Option:
    value: str
    line: int
    next: str | None = None
    do: str | None = None
    sets: tuple[tuple[str, str], ...] = ()  # answers this option also records


@dataclass(frozen=True)
class Branch:
    goto: str
    line: int
    when: tuple[tuple[str, str], ...] = ()

    def matches(self, answers: dict[str, object]) -> bool:
        return all(str(answers.get(name)) == value for name, value in self.when)


@dataclass(frozen=True)
class Question:
    name: str
    kind: str
    line: int
    saves: str | None = None
    options: tuple[Option, ...] = ()
    next: tuple[Branch, ...] = ()
    unknown: bool = False
    not_before: str | None = None
    future: bool = False  # a date still to come (a meeting), not a past letter

    def option(self, number: int) -> Option | None:
        """The 1-based option a caller picked, as keys and lists number them."""
        return self.options[number - 1] if 1 <= number <= len(self.options) else None


@dataclass(frozen=True)
class Flow:
    """A flow as read, with the lines the checker names. A file that could not be
    read at all gives an empty flow and says why in `unreadable`."""

    name: str
    path: Path
    start: str = ""
    questions: dict[str, Question] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    max_reprompts: int = MAX_REPROMPTS
    start_line: int = 1
    keys_line: int = 1
    key_lines: dict[str, int] = field(default_factory=dict)
    unreadable: str | None = None


def load_flow(path: Path) -> Flow:
    """The flow in a file. Never raises: a broken file is a problem the checker
    reports with the others, so start-up and `helpline check` fail cleanly."""
    try:
        raw = yamlfile.load_mapping(path, "a flow file is a mapping with 'flow', 'start' and 'questions'")
    except yamlfile.YamlError as error:
        return Flow(name=path.stem, path=path, unreadable=str(error))
    questions = {
        str(name): _question(str(name), body, raw["questions"].line_of(name))
        for name, body in (raw.get("questions") or {}).items()
    }
    keys = raw.get("keys") or {}
    return Flow(
        name=str(raw.get("flow", path.stem)),
        path=path,
        start=str(raw.get("start", "")),
        questions=questions,
        keys={str(k): str(v) for k, v in keys.items()},
        max_reprompts=int((raw.get("voice") or {}).get("max_reprompts", MAX_REPROMPTS)),
        start_line=raw.line_of("start"),
        keys_line=raw.line_of("keys"),
        key_lines={str(k): keys.line_of(str(k)) for k in keys},
    )


def _question(name: str, body: object, line: int) -> Question:
    if not isinstance(body, dict):
        return Question(name=name, kind="", line=line)
    return Question(
        name=name,
        kind=str(body.get("kind", "")),
        line=line,
        saves=body.get("saves"),
        options=tuple(_option(item, line) for item in body.get("options") or ()),
        next=_branches(body.get("next"), getattr(body, "line_of", lambda _: line)("next")),
        unknown=bool(body.get("unknown", False)),
        not_before=body.get("not_before"),
        future=bool(body.get("future", False)),
    )


def _option(item: object, line: int) -> Option:
    if not isinstance(item, dict):
        return Option(value=str(item), line=line)
    return Option(
        value=str(item.get("value", "")),
        line=getattr(item, "line", line),
        next=item.get("next"),
        do=item.get("do"),
        sets=tuple((str(k), str(v)) for k, v in (item.get("sets") or {}).items()),
    )


def _branches(raw: object, line: int) -> tuple[Branch, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Branch(goto=raw, line=line),)
    branches = []
    for item in raw if isinstance(raw, list) else [raw]:
        item_line = getattr(item, "line", line)
        if isinstance(item, dict):
            when = tuple((str(k), str(v)) for k, v in (item.get("when") or {}).items())
            branches.append(Branch(goto=str(item.get("goto", "")), line=item_line, when=when))
        else:
            branches.append(Branch(goto=str(item), line=item_line))
    return tuple(branches)
