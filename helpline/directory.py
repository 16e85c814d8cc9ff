"""The councils a caller can name, and the contacts the helpline texts for each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from helpline import yamlfile
from helpline.engine.words import normalise


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
    mediation: Contact | None = None
    sendiass: Contact | None = None
    checked: date | None = None
    source: str = ""


@dataclass(frozen=True)
class Directory:
    councils: dict[str, Council] = field(default_factory=dict)

    def get(self, code: str | None) -> Council | None:
        return self.councils.get(code) if code else None

    def find(self, text: str) -> list[Council]:
        """Councils whose name or a short name the caller's text names.

        An exact name wins; otherwise every council one of whose names contains,
        or is contained in, the text (so "kingston" offers both Kingstons).
        """
        wanted = normalise(text)
        if not wanted:
            return []
        exact = [c for c in self.councils.values() if wanted in _names(c)]
        if exact:
            return exact
        return [
            c
            for c in self.councils.values()
            if any(wanted in name or name in wanted for name in _names(c) if len(name) > 3)
        ]

    def serving(self, codes: list[str]) -> list[Council]:
        """The councils a deployment serves, in the order configured (all if none)."""
        if not codes:
            return list(self.councils.values())
        return [self.councils[code] for code in codes if code in self.councils]


def _names(council: Council) -> set[str]:
    return {normalise(council.name), *council.short_names}


def load_directory(folder: Path) -> Directory:
    councils_raw = yamlfile.load(folder / "councils.yaml")["councils"]
    contacts_path = folder / "contacts.yaml"
    contacts = (yamlfile.load(contacts_path) or {}).get("contacts") or {} if contacts_path.exists() else {}
    councils = {}
    for code, body in councils_raw.items():
        entry = contacts.get(code) or {}
        councils[code] = Council(
            code=code,
            name=body["name"],
            short_names=tuple(normalise(n) for n in body.get("short_names", ())),
            mediation=_contact(entry.get("mediation")),
            sendiass=_contact(entry.get("sendiass")),
            checked=entry.get("checked"),
            source=entry.get("source", ""),
        )
    return Directory(councils)


def _contact(raw: dict | None) -> Contact | None:
    if not raw:
        return None
    return Contact(**{key: str(raw.get(key, "")) for key in ("name", "phone", "email", "website")})
