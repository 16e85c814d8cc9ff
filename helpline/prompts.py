"""Every word the caller reads or hears: prompts/<language>.yaml, per channel.

An entry is one text for both channels or a {sms, voice} pair. Lookups take a
dotted path ("messages.welcome"); a missing entry is a checker error, so at run
time `text()` can trust the catalogue it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from helpline import yamlfile

CHANNELS = ("sms", "voice")


@dataclass(frozen=True)
class Catalogue:
    """One language's words. A file that could not be read at all gives an empty
    catalogue and says why in `unreadable`."""

    language: str
    voice_language: str
    path: Path
    data: dict[str, Any]
    unreadable: str | None = None
    # Entries found, by dotted path: a turn looks up about nine, always among
    # the same few hundred, and walking the path was most of rendering one.
    _found: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Each option's and command's words, by dotted path: every answer to a menu
    # looks for all its options' words (about 2% of a turn's own instructions).
    _words: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def entry(self, key: str) -> Any:
        """The raw entry at a dotted path, or None."""
        try:
            return self._found[key]
        except KeyError:
            pass
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                node = None
                break
            node = node[part]
        self._found[key] = node
        return node

    def text(self, key: str, channel: str) -> str | None:
        """The words for one channel, or None where this entry has none for it."""
        entry = self.entry(key)
        if isinstance(entry, dict):
            entry = entry.get(channel)
        return entry if isinstance(entry, str) else None

    def render(self, prompt: str, channel: str, /, **values: object) -> str:
        """The words with their {names} filled in; dates written as this language writes them."""
        template = self.text(prompt, channel)
        if template is None:
            raise KeyError(f"{self.path}: no {channel} text for {prompt}")
        return template.format(**{k: self.format_value(v, channel) for k, v in values.items()})

    def words(self, key: str) -> tuple[str, ...]:
        """Lower-case words and phrases a caller may text for an option or command."""
        if key not in self._words:
            entry = self.entry(key)
            if isinstance(entry, dict):
                entry = entry.get("words", entry.get("sms"))
            listed = [entry] if isinstance(entry, str) else entry or ()
            self._words[key] = tuple(str(word).lower() for word in listed)
        return self._words[key]

    def format_value(self, value: object, channel: str) -> str:
        if isinstance(value, date):
            return value.strftime(self.data["dates"][channel])
        if isinstance(value, list):  # choices to reply with by number, one a line
            return "\n".join(f"{number} {item}" for number, item in enumerate(value, start=1))
        return str(value)


def load_catalogue(path: Path) -> Catalogue:
    """The words in a file. Never raises: a broken file is a problem the checker
    reports with the others, so start-up and `helpline check` fail cleanly."""
    try:
        data = yamlfile.load_mapping(path, "a prompts file is a mapping of names to words")
    except yamlfile.YamlError as error:
        return Catalogue(path.stem, path.stem, path, {}, unreadable=str(error))
    language = str(data.get("language", path.stem))
    return Catalogue(language, str(data.get("voice_language", language)), path, data)


def load_catalogues(directory: Path) -> dict[str, Catalogue]:
    """Every language in the prompts folder, by its code. A second file for a
    language is kept too, under its path, for the checker to check and report."""
    catalogues: dict[str, Catalogue] = {}
    for path in sorted(directory.glob("*.yaml")):
        catalogue = load_catalogue(path)
        catalogues[str(path) if catalogue.language in catalogues else catalogue.language] = catalogue
    return catalogues
