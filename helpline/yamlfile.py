"""Read a YAML file so that every mapping knows its line: checkers name the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LineDict(dict):
    """A mapping from a YAML file that remembers where it and its keys were."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, _ in node.value:
        key, line = str(loader.construct_object(key_node)), key_node.start_mark.line + 1
        if key in mapping.key_lines:  # YAML keeps the last: the first would vanish without a word
            raise yaml.constructor.ConstructorError(
                problem=f"{key!r} is given twice in one mapping, on lines {mapping.key_lines[key]} and {line}",
                problem_mark=key_node.start_mark,
            )
        mapping.key_lines[key] = line
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlError(ValueError):
    """A file that is not valid YAML (or repeats a key), with the place to fix."""


def load(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(f"{path}:{line}: not valid YAML: {error.problem}") from error


def load_mapping(path: Path, shape: str) -> LineDict:
    """A file that must hold a mapping; `shape` tells the editor what it maps."""
    data = load(path)
    if not isinstance(data, LineDict):
        raise YamlError(f"{path}:1: {shape}")
    return data
