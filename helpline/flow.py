"""The conversation as data: read flows/*.yaml into plain, frozen objects.

Reading is forgiving and records where things were; `helpline.checker` decides
whether a flow is sound and says which line is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpline import yamlfile

KINDS = ("menu", "date", "council", "end")
COMMANDS = ("adviser", "restart", "stop", "return")
KEY_COMMANDS = ("repeat", "back", "help")
HELP = "help"


@dataclass(frozen=True)
class Option:
    value: str
    line: int
    next: str | None = None
    do: str | None = None


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

    def option(self, number: int) -> Option | None:
        """The 1-based option a caller picked, as keys and lists number them."""
        return self.options[number - 1] if 1 <= number <= len(self.options) else None


@dataclass(frozen=True)
class Flow:
    name: str
    path: Path
    start: str
    questions: dict[str, Question]
    keys: dict[str, str]
    max_reprompts: int


def load_flow(path: Path) -> Flow:
    raw = yamlfile.load(path)
    if not isinstance(raw, dict):
        raise yamlfile.YamlError(f"{path}:1: a flow file is a mapping with 'flow', 'start' and 'questions'")
    questions = {
        str(name): _question(str(name), body, raw["questions"].line_of(name))
        for name, body in (raw.get("questions") or {}).items()
    }
    return Flow(
        name=str(raw.get("flow", path.stem)),
        path=path,
        start=str(raw.get("start", "")),
        questions=questions,
        keys={str(k): str(v) for k, v in (raw.get("keys") or {}).items()},
        max_reprompts=int((raw.get("voice") or {}).get("max_reprompts", 3)),
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
    )


def _option(item: object, line: int) -> Option:
    if not isinstance(item, dict):
        return Option(value=str(item), line=line)
    return Option(
        value=str(item.get("value", "")),
        line=getattr(item, "line", line),
        next=item.get("next"),
        do=item.get("do"),
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
