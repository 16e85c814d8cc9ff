"""Contacts in and out as CSV: `helpline directory import FILE` and `export`.

Helpline operators keep the contacts in a spreadsheet, one row per council,
and save it as CSV (UTF-8, comma separated). The columns, in any order:

    code               the council's GSS code, as in directory/councils.yaml (required)
    council            its name, optional; when given it must be that council's
                       name, so a mistyped code is caught
    mediation_name     the independent mediation provider: name, phone, email, website
    mediation_phone
    mediation_email
    mediation_website
    adviser_name       the council's mediation adviser, when not the provider
    adviser_phone
    adviser_email
    adviser_website
    sendiass_name      the local SEND information, advice and support service
    sendiass_phone
    sendiass_email
    sendiass_website
    local_offer        the council's Local Offer page
    checked            the date these details were last checked, YYYY-MM-DD (required)
    source             where they came from: a document or web page (required)

Phones are UK numbers in any usual form ("0161 496 0000", "+44 161 496 0000")
and are kept in national form; emails are name@domain; web addresses are
https://... or a bare domain (www.example.org/send). A row with only its code
and council (as `export --all` writes for councils with no entry) is skipped.

The import checks every row first. On any problem it writes nothing, keeps
the old contacts, and returns every problem with its line:
`contacts.csv:7: mediation_phone '0161 49' is not a UK phone number`.
Otherwise it replaces directory/contacts.yaml in one step (a temporary file
renamed over it), so the server never reads half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import urlsplit

import phonenumbers

from helpline.directory import (
    CONTACT_FIELDS,
    CONTACT_KINDS,
    Council,
    Directory,
    DirectoryError,
    load_directory,
    read_contacts,
)
from helpline.gsm7 import non_gsm_characters
from helpline.yamlfile import YamlError

__all__ = ["COLUMNS", "export_contacts", "import_contacts", "is_fictional_number"]

CONTACT_COLUMNS: Final = tuple(f"{kind}_{part}" for kind in CONTACT_KINDS for part in CONTACT_FIELDS)
COLUMNS: Final = ("code", "council", *CONTACT_COLUMNS, "local_offer", "checked", "source")
REQUIRED: Final = ("code", "checked", "source")

_EMAIL: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
    re.ASCII,
)
_HOST: Final = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.ASCII)
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

# Ofcom's ranges for TV, radio and film (and for tests): never issued to anyone.
_FICTIONAL: Final = re.compile(
    r"7700900[0-9]{3}"  # 07700 900000-900999
    r"|(?:113|114|115|116|117|118|121|131|141|151|161)4960[0-9]{3}"  # 0161 496 0000-0999 ...
    r"|1914980[0-9]{3}"  # 0191 498 0000-0999
    r"|2079460[0-9]{3}"  # 020 7946 0000-0999
    r"|2890180[0-9]{3}"  # 028 9018 0000-0999
    r"|2920180[0-9]{3}"  # 029 2018 0000-0999
    r"|1632960[0-9]{3}"  # 01632 960000-960999
    r"|8081570[0-9]{3}"  # 0808 157 0000-0999
    r"|9098790[0-9]{3}"  # 0909 879 0000-0999
    r"|3069990[0-9]{3}",  # 03069 990000-990999
    re.ASCII,
)


def is_fictional_number(phone: str) -> bool:
    """True for a number in one of Ofcom's drama ranges (tests, demos: never shipped data)."""
    try:
        number = phonenumbers.parse(phone, "GB")
    except phonenumbers.NumberParseException:
        return False
    return number.country_code == 44 and _FICTIONAL.fullmatch(str(number.national_number)) is not None


def import_contacts(path: Path, directory_folder: Path, *, today: date | None = None) -> list[str]:
    """Check the CSV at `path`; if sound, make it directory_folder/contacts.yaml.

    Returns the problems, each naming its line ("contacts.csv:7: ..."); empty
    when the import succeeded. On any problem nothing is written.
    """
    today = today or date.today()
    label = Path(path).name
    try:
        directory = load_directory(directory_folder)
    except (DirectoryError, YamlError) as error:
        return [f"{error} (fix the directory before importing contacts)"]
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [f"{label}:1: not UTF-8 text; save the spreadsheet as 'CSV UTF-8 (Comma delimited)'"]
    except OSError as error:
        return [f"{label}: cannot read it: {error.strerror or error}"]
    entries, problems = _read_rows(text, label, directory, today)
    if problems:
        return problems
    text = _contacts_yaml(entries, directory, label, today)
    _write_atomically(directory_folder / "contacts.yaml", text, set(directory.councils))
    return []


def export_contacts(directory_folder: Path, out: Path | TextIO, *, all_councils: bool = False) -> int:
    """Write the contacts as CSV in the shape import_contacts reads; returns the rows written.

    `all_councils` adds a row for every council without an entry (code and name
    only): a sheet for operators to fill in.
    """
    directory = load_directory(directory_folder)
    councils = sorted(
        (c for c in directory.councils.values() if all_councils or c.has_contacts or c.checked),
        key=lambda c: c.code,
    )
    if isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8", newline="") as stream:
            _write_csv(councils, stream)
    else:
        _write_csv(councils, out)
    return len(councils)


def _write_csv(councils: list[Council], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for council in councils:
        row: dict[str, str] = {"code": council.code, "council": council.name}
        for kind in CONTACT_KINDS:
            contact = getattr(council, kind)
            for part in CONTACT_FIELDS:
                row[f"{kind}_{part}"] = getattr(contact, part) if contact else ""
        row["local_offer"] = council.local_offer
        row["checked"] = council.checked.isoformat() if council.checked else ""
        row["source"] = council.source
        writer.writerow([row[column] for column in COLUMNS])


def _read_rows(
    text: str, label: str, directory: Directory, today: date
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    problems: list[str] = []
    entries: dict[str, dict[str, Any]] = {}
    lines_of: dict[str, int] = {}
    rows = _rows(text)
    try:
        _, header = next(rows)
    except StopIteration:
        return {}, [f"{label}:1: the file is empty; the first line names the columns: {','.join(COLUMNS)}"]
    except csv.Error as error:
        return {}, [f"{label}:1: not readable as CSV: {error}"]
    columns = [column.strip().lower() for column in header]
    header_problems = _check_header(columns, header)
    if header_problems:
        return {}, [f"{label}:1: {problem}" for problem in header_problems]
    try:
        for line, fields in rows:
            if not any(field.strip() for field in fields):
                continue
            if len(fields) > len(columns):
                problems.append(f"{label}:{line}: has {len(fields)} fields but the header names {len(columns)}")
                continue
            row = {column: value.strip() for column, value in zip(columns, fields)}
            row.update({column: "" for column in COLUMNS if column not in row})
            code, entry, row_problems = _check_row(row, directory, today)
            say = [f"{label}:{line}: {problem}" for problem in row_problems]
            if code and code in lines_of:
                say.append(f"{label}:{line}: {code} is also on line {lines_of[code]}; give each council one row")
            elif code:
                lines_of[code] = line
            problems += say
            if not say and entry is not None:
                entries[code] = entry
    except csv.Error as error:
        problems.append(f"{label}: not readable as CSV: {error}")
    return entries, problems


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, its fields), so a quoted field over several lines names where the row starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        yield line, fields


def _check_header(columns: list[str], header: list[str]) -> list[str]:
    if len(columns) == 1 and ";" in columns[0]:
        return ["the columns are separated by ';': save the spreadsheet as 'CSV UTF-8 (Comma delimited)'"]
    problems = []
    unknown = [raw for raw, column in zip(header, columns) if column not in COLUMNS]
    if unknown:
        problems.append(f"unknown column {', '.join(repr(u) for u in unknown)}; the columns are {','.join(COLUMNS)}")
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        problems.append(f"column {', '.join(repr(r) for r in repeated)} given twice")
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        problems.append(f"missing column {', '.join(repr(m) for m in missing)}")
    return problems


def _check_row(
    row: dict[str, str], directory: Directory, today: date
) -> tuple[str, dict[str, Any] | None, list[str]]:
    """(code, the contacts.yaml entry or None for an empty row, problems)."""
    problems: list[str] = []
    code = row["code"].upper()
    council = directory.get(code)
    if not code:
        problems.append("code is empty: give the council's GSS code, like E08000003")
    elif council is None:
        problems.append(f"code {row['code']!r} is not a council in councils.yaml")
    elif row["council"] and council not in directory.lookup(row["council"]).councils:
        problems.append(f"council {row['council']!r} is not {code}, which is {council.name}")
    given = [column for column in (*CONTACT_COLUMNS, "local_offer") if row[column]]
    if not given and not row["checked"] and not row["source"]:
        return code, None, problems  # an unfilled row of `export --all`
    if not given:
        problems.append("gives no contact: fill in the mediation, adviser, sendiass or local_offer columns")
    entry: dict[str, Any] = {}
    for kind in CONTACT_KINDS:
        contact: dict[str, str] = {}
        for part in CONTACT_FIELDS:
            column, value = f"{kind}_{part}", row[f"{kind}_{part}"]
            if not value:
                continue
            checked_value, problem = _CHECKS[part](column, value)
            if problem:
                problems.append(problem)
            else:
                contact[part] = checked_value
        if any(row[f"{kind}_{part}"] for part in CONTACT_FIELDS) and not row[f"{kind}_name"]:
            problems.append(f"{kind}_name is empty, but other {kind} details are given: say whose they are")
        if contact:
            entry[kind] = contact
    if row["local_offer"]:
        value, problem = _check_website("local_offer", row["local_offer"])
        if problem:
            problems.append(problem)
        else:
            entry["local_offer"] = value
    checked, problem = _check_date(row["checked"], today)
    if problem:
        problems.append(problem)
    entry["checked"] = checked
    if not row["source"]:
        problems.append("source is empty: say where these details came from (a document or web page)")
    entry["source"] = " ".join(row["source"].split())
    return code, entry, problems


def _check_name(column: str, value: str) -> tuple[str, str | None]:
    bad = non_gsm_characters(value)
    if bad:
        shown = " ".join(repr(char) for char in bad)
        return value, f"{column} {value!r} has characters a basic phone cannot show ({shown}): retype them"
    return " ".join(value.split()), None


def _check_phone(column: str, value: str) -> tuple[str, str | None]:
    problem = f"{column} {value!r} is not a UK phone number"
    if not re.fullmatch(r"\+?[0-9 ()\-.]+", value):
        return value, problem
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return value, problem
    # libphonenumber calls some of Ofcom's drama ranges invalid; tests and demos use them.
    if number.country_code != 44 or not (phonenumbers.is_valid_number(number) or is_fictional_number(value)):
        return value, problem
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), None


def _check_email(column: str, value: str) -> tuple[str, str | None]:
    if not _EMAIL.fullmatch(value) or len(value) > 254:
        return value, f"{column} {value!r} is not an email address"
    return value, None


def _check_website(column: str, value: str) -> tuple[str, str | None]:
    problem = f"{column} {value!r} is not a web address (like https://www.example.org/send or www.example.org)"
    if any(char.isspace() for char in value) or non_gsm_characters(value):
        return value, problem
    try:
        parts = urlsplit(value if "://" in value else f"https://{value}")
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        return value, problem
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not _HOST.fullmatch(host) or parts.username or parts.password:
        return value, problem
    return value, None


def _check_date(value: str, today: date) -> tuple[date | None, str | None]:
    if not value:
        return None, "checked is empty: give the date these details were last checked, like 2026-11-28"
    try:
        when = date.fromisoformat(value) if _ISO_DATE.fullmatch(value) else None
    except ValueError:
        when = None
    if when is None:
        return None, f"checked {value!r} is not a date like 2026-11-28 (year-month-day)"
    if when > today:
        return None, f"checked {value} is in the future"
    return when, None


_CHECKS: Final = {"name": _check_name, "phone": _check_phone, "email": _check_email, "website": _check_website}


_HEADER: Final = """\
# Contacts the helpline texts, per council (GSS code, see councils.yaml).
# Only contacts with a public source: every entry says where it came from and
# when it was last checked. A council with no entry gets the fallback text
# (use the adviser named in the decision letter or the council's Local Offer).
#
# Written by `helpline directory import` from {label} on {today}. To change it,
# `helpline directory export FILE`, edit the sheet and import it again: the
# import checks every phone number, email, web address and date first.
#
#   mediation    the independent mediation provider
#   adviser      the council's mediation adviser, when not the provider
#   sendiass     the local SEND information, advice and support service
#   local_offer  the council's Local Offer page
"""


def _contacts_yaml(entries: dict[str, dict[str, Any]], directory: Directory, label: str, today: date) -> str:
    out = [_HEADER.format(label=label, today=today.isoformat())]
    if not entries:
        out.append("contacts: {}\n")
        return "".join(out)
    out.append("contacts:\n")
    for code in sorted(entries):
        entry = entries[code]
        council = directory.councils[code]
        out.append(f"  {code}:  # {council.name}\n")
        for kind in CONTACT_KINDS:
            if kind in entry:
                body = ", ".join(f"{part}: {_quote(entry[kind][part])}" for part in CONTACT_FIELDS if part in entry[kind])
                out.append(f"    {kind}: {{{body}}}\n")
        if "local_offer" in entry:
            out.append(f"    local_offer: {_quote(entry['local_offer'])}\n")
        out.append(f"    source: {_quote(entry['source'])}\n")
        out.append(f"    checked: {entry['checked'].isoformat()}\n")
    return "".join(out)


def _quote(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _write_atomically(target: Path, text: str, codes: set[str]) -> None:
    """Write `text` to a temporary file beside `target`, check it reads back, rename it over."""
    folder = target.parent
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        read_contacts(Path(temporary), codes)  # what the server will read must load
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        directory_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory_fd)
    except OSError:
        pass
    finally:
        os.close(directory_fd)
