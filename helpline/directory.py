"""The councils a caller can name, and the contacts the helpline texts for each.

`directory/councils.yaml` lists every council in England with SEND duties, by
GSS code; `directory/contacts.yaml` holds what the operator has checked for
some of them (written by `helpline directory import`, see directory_import.py).

Finding a council from what a caller texts (`Directory.find`) is on the web
request path, so every name is normalised once, when the directory loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from rapidfuzz import fuzz, process

from helpline import yamlfile
from helpline.engine.words import normalise

__all__ = [
    "CODE_KINDS",
    "CONTACT_FIELDS",
    "CONTACT_KINDS",
    "MAX_OFFERED",
    "Contact",
    "Council",
    "Directory",
    "DirectoryError",
    "Found",
    "load_directory",
    "name_key",
    "read_contacts",
]

# GSS code prefix -> the kind of council that holds the SEND duties there.
CODE_KINDS: Final = {
    "E10": "county council",
    "E06": "unitary authority",
    "E08": "metropolitan district",
    "E09": "London borough",
}
_CODE: Final = re.compile(r"E(06|08|09|10)[0-9]{6}")

MAX_OFFERED: Final = 5
"""At most this many councils are offered as a numbered list."""

# Words that say what kind of body it is, not which: "Manchester City Council",
# "County Durham", "Bristol, City of", "Kingston on Thames". "city" is kept:
# it tells "City of London" from the London boroughs.
_GENERIC: Final = frozenset(
    {"council", "county", "borough", "metropolitan", "district", "royal", "corporation",
     "the", "of", "and", "upon", "on", "in", "with"}
)
_GENERIC_LONG: Final = tuple(word for word in _GENERIC if len(word) >= 5)
# Words around a council's name in a reply ("I live in Leeds please").
_FILLER: Final = frozenset(
    {"i", "im", "we", "my", "our", "its", "it", "is", "live", "lives", "living", "from", "near", "at",
     "for", "a", "please", "pls", "thanks", "thank", "you", "uk", "england", "area", "local", "authority"}
)

# Words that name no council on their own: "north", "city", "st" alone find nothing.
_VAGUE: Final = frozenset(
    {"north", "south", "east", "west", "central", "mid", "city", "st", "saint", "new", "great", "greater",
     "upper", "lower", "ne", "nw", "se", "sw", "n", "s", "e", "w"}
)

# Tuned on tests/test_directory.py's table of real spellings, typos and nonsense.
_CUTOFF: Final = 82.0  # below this, a council does not fit at all
_MARGIN: Final = 6.0  # a council this far ahead of the next one is the answer alone
_WORD_FLOOR: Final = 80.0  # a word this similar to a name's word is that word misspelt ("leds", "manchster")
_RUN_TOGETHER: Final = 93.0  # a text this similar to a whole name without spaces is that name ("towerhamlets")
_GENERIC_TYPO: Final = 85.0  # a word this similar to "council", "borough"... is that word misspelt ("counsil")


class DirectoryError(yamlfile.YamlError):
    """councils.yaml or contacts.yaml is not as the helpline needs it; names file and line."""


@dataclass(frozen=True)
class Contact:
    name: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""


@dataclass(frozen=True)
class Council:
    code: str
    name: str
    short_names: tuple[str, ...] = ()
    area: str = ""
    mediation: Contact | None = None  # the independent mediation provider
    adviser: Contact | None = None  # the council's mediation adviser, when not the provider
    sendiass: Contact | None = None
    local_offer: str = ""  # the Local Offer page
    checked: date | None = None  # when the contacts were last checked
    source: str = ""  # where the contacts came from

    @property
    def kind(self) -> str:
        """The kind of council, from its code: a county council, unitary authority, metropolitan
        district or London borough (the City of London counts as one)."""
        return CODE_KINDS.get(self.code[:3], "")

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a caller may text for this council, normalised (see name_key)."""
        return tuple(dict.fromkeys(n for n in (name_key(self.name), name_key(self.area), *self.short_names) if n))

    @property
    def has_contacts(self) -> bool:
        return any((self.mediation, self.adviser, self.sendiass, self.local_offer))


@dataclass(frozen=True)
class Found:
    """What a caller's text names: `councils` best first, at most MAX_OFFERED.

    - `exact`: the text is one of the councils' names (several when the name is
      shared on purpose, like "kingston" or "cumbria");
    - one council, not exact: it clearly fits best (a typo, part of a name);
    - several: they fit about equally well; offer them as a numbered list;
    - none, `too_many` False: nothing fits;
    - none, `too_many` True: more than MAX_OFFERED fit equally ("london",
      "berkshire"); ask for more of the name.
    """

    councils: tuple[Council, ...] = ()
    exact: bool = False
    too_many: bool = False


def name_key(text: str) -> str:
    """A name as compared: lowercase words, "&" read as "and" (see words.normalise)."""
    return normalise(text.replace("&", " and "))


def _core(key: str, drop: frozenset[str] = _GENERIC) -> str:
    return " ".join(word for word in key.split() if word not in drop)


@dataclass(frozen=True)
class _Index:
    """Every name of every council, normalised once for matching."""

    exact: dict[str, tuple[int, ...]]  # name key or core -> council positions
    vocabulary: list[str]  # every word of every core name
    entries: list[tuple[int, tuple[int, ...]]]  # (council position, word ids) per core name
    by_word: dict[int, tuple[int, ...]]  # word id -> entries using it
    compact: list[str]  # names without spaces ("towerhamlets", "stokeontrent")
    compact_council: list[int]  # council position of each compact name


def _build_index(councils: Iterable[Council]) -> _Index:
    exact: dict[str, list[int]] = {}
    vocabulary: dict[str, int] = {}
    entries: list[tuple[int, tuple[int, ...]]] = []
    by_word: dict[int, list[int]] = {}
    compact: dict[str, list[int]] = {}
    seen: set[tuple[int, str]] = set()
    for position, council in enumerate(councils):
        for key in council.names:
            core = _core(key)
            for form in {key.replace(" ", ""), core.replace(" ", "")} - {""}:
                if position not in compact.setdefault(form, []):
                    compact[form].append(position)
            for form in {key, core} - {""}:
                if position not in exact.setdefault(form, []):
                    exact[form].append(position)
            if not core or (position, core) in seen:
                continue
            seen.add((position, core))
            words = tuple(vocabulary.setdefault(word, len(vocabulary)) for word in dict.fromkeys(core.split()))
            for word in words:
                by_word.setdefault(word, []).append(len(entries))
            entries.append((position, words))
    return _Index(
        exact={key: tuple(found) for key, found in exact.items()},
        vocabulary=list(vocabulary),
        entries=entries,
        by_word={word: tuple(found) for word, found in by_word.items()},
        compact=[form for form, found in compact.items() for _ in found],
        compact_council=[position for found in compact.values() for position in found],
    )


@dataclass(frozen=True)
class Directory:
    councils: dict[str, Council] = field(default_factory=dict)
    source: str = ""  # where the list of councils came from
    as_at: date | None = None  # the date the list is correct for
    _index: _Index = field(init=False, repr=False, compare=False)
    _order: tuple[Council, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        order = tuple(self.councils.values())
        object.__setattr__(self, "_order", order)
        object.__setattr__(self, "_index", _build_index(order))

    def get(self, code: str | None) -> Council | None:
        return self.councils.get(code) if code else None

    def find(self, text: str) -> list[Council]:
        """The councils a caller's text names, best first (see lookup).

        One council when the text is its name or clearly fits it best, up to
        MAX_OFFERED when several fit about equally, none when nothing fits or
        too many do.
        """
        return list(self.lookup(text).councils)

    def lookup(self, text: str) -> Found:
        """What the caller's text names, with why (see Found)."""
        key = name_key(text)
        core = self._strip(key)
        if not core:
            return Found()
        for form in (key, _core(key), core):
            if form in self._index.exact:
                found = sorted((self._order[p] for p in self._index.exact[form]), key=lambda c: c.name)
                if len(found) > MAX_OFFERED:
                    return Found(exact=True, too_many=True)
                return Found(tuple(found), exact=True)
        if set(core.split()) <= _VAGUE:
            return Found()
        ranked = self._ranked(core)
        if not ranked:
            return Found()
        best = ranked[0][0]
        close = [council for score, council in ranked if score >= best - _MARGIN]
        if len(close) > MAX_OFFERED:
            return Found(too_many=True)
        return Found(tuple(close))

    def serving(self, codes: list[str]) -> list[Council]:
        """The councils a deployment serves, in the order configured (all if none)."""
        if not codes:
            return list(self._order)
        return [self.councils[code] for code in codes if code in self.councils]

    def _strip(self, key: str) -> str:
        """The words of a reply that may name a council: no "council", "please", "counsil"."""
        words = [word for word in _core(_core(key), _FILLER).split()]
        return " ".join(
            word for word in words
            if word in self._index.exact
            or not process.extractOne(word, _GENERIC_LONG, scorer=fuzz.ratio, score_cutoff=_GENERIC_TYPO)
        )

    def _ranked(self, core: str) -> list[tuple[float, Council]]:
        """(score, council) for every council scoring at least _CUTOFF, best first.

        A council's score: how well each of the caller's words matches a word
        of any of its names (averaged over the caller's words, so a word that
        matches nothing counts against), nudged up by how much of one name the
        caller's words cover ("kingston upon hull" beats "kingston"). Or, if
        higher, how well the whole text matches a whole name run together.
        """
        index = self._index
        words = list(dict.fromkeys(core.split()))
        # How well each of the caller's words fits each known word (rapidfuzz, in C).
        similar: list[dict[int, float]] = [
            {found: score for _, score, found in
             process.extract(word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=_WORD_FLOOR, limit=None)}
            for word in words
        ]
        best: dict[int, list[float]] = {}  # council position -> best fit of each caller's word
        coverage: dict[int, float] = {}  # council position -> most of one name covered
        for entry in {entry for fits in similar for word in fits for entry in index.by_word[word]}:
            position, name_words = index.entries[entry]
            fits_here = [max((fits.get(word, 0.0) for word in name_words), default=0.0) for fits in similar]
            known = best.setdefault(position, [0.0] * len(words))
            best[position] = [max(a, b) for a, b in zip(known, fits_here, strict=True)]
            covered = sum(1 for word in name_words if any(word in fits for fits in similar)) / len(name_words)
            coverage[position] = max(coverage.get(position, 0.0), covered)
        scores = {
            position: sum(fits) / len(fits) * (0.9 + 0.1 * coverage[position]) for position, fits in best.items()
        }
        # A whole name run together: "towerhamlets", "stokeontrent".
        if len(words) == 1:
            for _, score, entry in process.extract(
                words[0], index.compact, scorer=fuzz.ratio, score_cutoff=_RUN_TOGETHER, limit=None
            ):
                position = index.compact_council[entry]
                scores[position] = max(scores.get(position, 0.0), score)
        ranked = sorted(
            ((score, position) for position, score in scores.items() if score >= _CUTOFF),
            key=lambda item: (-item[0], self._order[item[1]].name),
        )
        return [(score, self._order[position]) for score, position in ranked]


def load_directory(folder: Path) -> Directory:
    """councils.yaml and, if there, contacts.yaml; DirectoryError names what is wrong."""
    councils_path = folder / "councils.yaml"
    data = yamlfile.load_mapping(councils_path, "councils.yaml must map `councils:` to councils by GSS code")
    raw = data.get("councils")
    if not isinstance(raw, yamlfile.LineDict) or not raw:
        raise DirectoryError(f"{councils_path}:{data.line_of('councils')}: `councils:` must map GSS codes to councils")
    contacts_path = folder / "contacts.yaml"
    contacts = read_contacts(contacts_path, set(raw)) if contacts_path.exists() else {}
    councils: dict[str, Council] = {}
    names: dict[str, str] = {}
    for code, body in raw.items():
        where = f"{councils_path}:{raw.line_of(code)}"
        if not _CODE.fullmatch(str(code)):
            raise DirectoryError(f"{where}: {code!r} is not the GSS code of an upper-tier council in England")
        if not isinstance(body, dict) or not str(body.get("name") or "").strip():
            raise DirectoryError(f"{where}: {code} needs a name")
        unknown = set(body) - {"name", "area", "short_names"}
        if unknown:
            raise DirectoryError(f"{where}: {code} has unknown keys {sorted(unknown)}; use name, area, short_names")
        short_names = body.get("short_names") or []
        if not isinstance(short_names, list):
            raise DirectoryError(f"{where}: {code} short_names must be a list, like [hull, kingston upon hull]")
        name = str(body["name"]).strip()
        if name_key(name) in names:
            raise DirectoryError(f"{where}: {code} has the same name as {names[name_key(name)]}")
        names[name_key(name)] = code
        entry = contacts.get(code, {})
        councils[code] = Council(
            code=code,
            name=name,
            area=str(body.get("area") or "").strip(),
            short_names=tuple(dict.fromkeys(k for k in (name_key(str(n)) for n in short_names) if k)),
            mediation=_contact(entry.get("mediation")),
            adviser=_contact(entry.get("adviser")),
            sendiass=_contact(entry.get("sendiass")),
            local_offer=str(entry.get("local_offer") or ""),
            checked=entry.get("checked"),
            source=str(entry.get("source") or ""),
        )
    count = data.get("count")
    if count is not None and count != len(councils):
        raise DirectoryError(f"{councils_path}:{data.line_of('count')}: count says {count}, the file lists {len(councils)}")
    as_at = data.get("as_at")
    return Directory(councils, source=" ".join(str(data.get("source") or "").split()),
                     as_at=as_at if isinstance(as_at, date) else None)


CONTACT_KINDS: Final = ("mediation", "adviser", "sendiass")
CONTACT_FIELDS: Final = ("name", "phone", "email", "website")
ENTRY_KEYS: Final = (*CONTACT_KINDS, "local_offer", "checked", "source")


def read_contacts(path: Path, codes: set[str]) -> dict[str, dict[str, Any]]:
    """contacts.yaml: {code: {mediation, adviser, sendiass, local_offer, checked, source}}."""
    data = yamlfile.load(path) or {}
    if not isinstance(data, dict):
        raise DirectoryError(f"{path}:1: contacts.yaml must map `contacts:` to entries by GSS code")
    contacts = data.get("contacts") or {}
    if not isinstance(contacts, yamlfile.LineDict):
        raise DirectoryError(f"{path}:{getattr(data, 'line_of', lambda _: 1)('contacts')}: "
                             "`contacts:` must map GSS codes to entries")
    for code, entry in contacts.items():
        where = f"{path}:{contacts.line_of(code)}"
        if code not in codes:
            raise DirectoryError(f"{where}: {code!r} is not a council in councils.yaml")
        if not isinstance(entry, dict):
            raise DirectoryError(f"{where}: {code} must map {', '.join(ENTRY_KEYS)}")
        unknown = set(entry) - set(ENTRY_KEYS)
        if unknown:
            raise DirectoryError(f"{where}: {code} has unknown keys {sorted(unknown)}; use {', '.join(ENTRY_KEYS)}")
        if not isinstance(entry.get("checked"), date) or not str(entry.get("source") or "").strip():
            raise DirectoryError(f"{where}: {code} needs `checked:` (a date, YYYY-MM-DD) and `source:`")
        for kind in CONTACT_KINDS:
            body = entry.get(kind)
            if body is not None and (not isinstance(body, dict) or set(body) - set(CONTACT_FIELDS)):
                raise DirectoryError(f"{where}: {code} {kind} must map only {', '.join(CONTACT_FIELDS)}")
    return dict(contacts)


def _contact(raw: dict | None) -> Contact | None:
    if not raw:
        return None
    return Contact(**{key: str(raw.get(key) or "") for key in CONTACT_FIELDS})
