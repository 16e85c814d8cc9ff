"""`helpline directory import` / `export`: the contacts as a CSV sheet.

Every number here is fictional (Ofcom's drama ranges: 0161 496 0xxx,
020 7946 0xxx, 07700 900xxx); every address is on example.org.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from helpline.directory import Contact, load_directory
from helpline.directory_import import COLUMNS, export_contacts, import_contacts, is_fictional_number

SHIPPED = Path(__file__).resolve().parent.parent / "directory"
TODAY = date(2026, 11, 28)

HEADER = ",".join(COLUMNS)
GOOD = f"""\
{HEADER}
E08000003,Manchester City Council,Example Mediation Ltd,0161 496 0000,info@example.org,https://mediation.example.org,SEND Mediation Adviser,+44 161 496 0001,adviser@example.org,,IAS Manchester,0161-496-0002,,www.example.org/ias,https://www.example.org/local-offer,2026-11-20,"Example council's Local Offer, mediation page"
E10000016,Kent,Example Mediation Ltd,(020) 7946 0123,,,,,,,,,,,,2026-10-01,Example provider leaflet (October 2026)
E09000021,,,,,,,,,,Kingston SENDIASS,07700 900123,sendiass@example.org,example.org,,2026-11-01,Example SENDIASS web page
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "directory"
    shutil.copytree(SHIPPED, target)
    return target


def write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def exported(folder: Path, **options: bool) -> str:
    out = io.StringIO()
    export_contacts(folder, out, **options)
    return out.getvalue()


# --- a good sheet -----------------------------------------------------------------------


def test_a_good_sheet_imports(tmp_path: Path, folder: Path) -> None:
    assert import_contacts(write(tmp_path, GOOD), folder, today=TODAY) == []
    directory = load_directory(folder)

    manchester = directory.councils["E08000003"]
    assert manchester.mediation == Contact("Example Mediation Ltd", "0161 496 0000", "info@example.org",
                                           "https://mediation.example.org")
    assert manchester.adviser == Contact("SEND Mediation Adviser", "0161 496 0001", "adviser@example.org", "")
    assert manchester.sendiass == Contact("IAS Manchester", "0161 496 0002", "", "www.example.org/ias")
    assert manchester.local_offer == "https://www.example.org/local-offer"
    assert manchester.checked == date(2026, 11, 20)
    assert manchester.source == "Example council's Local Offer, mediation page"

    kent = directory.councils["E10000016"]
    assert kent.mediation == Contact("Example Mediation Ltd", "020 7946 0123", "", "")
    assert (kent.adviser, kent.sendiass, kent.local_offer) == (None, None, "")

    kingston = directory.councils["E09000021"]
    assert kingston.sendiass == Contact("Kingston SENDIASS", "07700 900123", "sendiass@example.org", "example.org")
    assert kingston.mediation is None

    # The import replaces the whole file: the shipped Manchester entry was in the sheet's place.
    assert [c.code for c in directory.councils.values() if c.has_contacts] == ["E10000016", "E08000003", "E09000021"]


def test_phones_are_kept_in_national_form(tmp_path: Path, folder: Path) -> None:
    assert import_contacts(write(tmp_path, GOOD), folder, today=TODAY) == []
    text = (folder / "contacts.yaml").read_text(encoding="utf-8")
    assert '"0161 496 0001"' in text and "+44" not in text and '"020 7946 0123"' in text


def test_export_gives_back_what_was_imported(tmp_path: Path, folder: Path) -> None:
    assert import_contacts(write(tmp_path, GOOD), folder, today=TODAY) == []
    out = exported(folder)
    assert out.splitlines()[0] == HEADER

    wanted = {row["code"]: row for row in rows(GOOD)}
    # What the import tidies: phones to national form, the council's own name.
    wanted["E08000003"]["adviser_phone"] = "0161 496 0001"
    wanted["E08000003"]["sendiass_phone"] = "0161 496 0002"
    wanted["E10000016"]["mediation_phone"] = "020 7946 0123"
    wanted["E10000016"]["council"] = "Kent County Council"
    wanted["E09000021"]["council"] = "Royal Borough of Kingston upon Thames"
    assert {row["code"]: row for row in rows(out)} == wanted


def test_round_trip_is_exact(tmp_path: Path, folder: Path) -> None:
    assert import_contacts(write(tmp_path, GOOD), folder, today=TODAY) == []
    first_yaml = (folder / "contacts.yaml").read_bytes()
    first_csv = exported(folder)

    again = tmp_path / "again"
    again.mkdir()
    assert import_contacts(write(again, first_csv), folder, today=TODAY) == []
    assert exported(folder) == first_csv
    assert (folder / "contacts.yaml").read_bytes() == first_yaml


def test_the_shipped_contacts_round_trip(tmp_path: Path, folder: Path) -> None:
    before = load_directory(folder)
    sheet = write(tmp_path, exported(folder))
    assert import_contacts(sheet, folder, today=TODAY) == []
    assert load_directory(folder) == before


def test_export_to_a_file_and_a_fill_in_sheet_for_every_council(tmp_path: Path, folder: Path) -> None:
    target = tmp_path / "out.csv"
    assert export_contacts(folder, target) == 1  # the shipped Manchester SENDIASS entry
    assert rows(target.read_text(encoding="utf-8"))[0]["sendiass_name"] == "IAS Manchester"

    sheet = exported(folder, all_councils=True)
    assert len(rows(sheet)) == 153
    # Unfilled rows are skipped on the way back in: nothing changes.
    before = load_directory(folder)
    assert import_contacts(write(tmp_path, sheet), folder, today=TODAY) == []
    assert load_directory(folder) == before


def test_columns_in_any_order_with_spreadsheet_habits(tmp_path: Path, folder: Path) -> None:
    sheet = (
        "\ufeffSource , Checked,CODE,sendiass_name,sendiass_website\r\n"  # Excel's BOM, capitals, spaces, CRLF
        '"Example page",2026-11-01, e08000035 ,Leeds SENDIASS,https://example.org/leeds\r\n'
        ",,,,\r\n"
        "\r\n"
    )
    assert import_contacts(write(tmp_path, sheet), folder, today=TODAY) == []
    leeds = load_directory(folder).councils["E08000035"]
    assert leeds.sendiass == Contact("Leeds SENDIASS", "", "", "https://example.org/leeds")


def test_no_temporary_file_is_left_and_the_mode_is_kept(tmp_path: Path, folder: Path) -> None:
    os.chmod(folder / "contacts.yaml", 0o640)
    assert import_contacts(write(tmp_path, GOOD), folder, today=TODAY) == []
    assert sorted(p.name for p in folder.iterdir()) == ["contacts.yaml", "councils.yaml"]
    assert (folder / "contacts.yaml").stat().st_mode & 0o777 == 0o640


def test_import_creates_the_contacts_file_when_there_is_none(tmp_path: Path, folder: Path) -> None:
    (folder / "contacts.yaml").unlink()
    assert import_contacts(write(tmp_path, GOOD), folder, today=TODAY) == []
    assert load_directory(folder).councils["E10000016"].mediation is not None


# --- a bad sheet: nothing written, every problem with its line ---------------------------


def row(**values: str) -> str:
    base = {"code": "E08000003", "sendiass_name": "IAS Manchester", "checked": "2026-11-01", "source": "Example"}
    base.update(values)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([base.get(column, "") for column in COLUMNS])
    return out.getvalue()


BAD_ROWS = [
    (row(code="E0800003"), "code 'E0800003' is not a council in councils.yaml"),
    (row(code="E07000195"), "code 'E07000195' is not a council in councils.yaml"),
    (row(code=""), "code is empty"),
    (row(council="Leeds"), "council 'Leeds' is not E08000003, which is Manchester City Council"),
    (row(mediation_name="X", mediation_phone="0161 49"), "mediation_phone '0161 49' is not a UK phone number"),
    (row(mediation_name="X", mediation_phone="+1 202 555 0101"),
     "mediation_phone '+1 202 555 0101' is not a UK phone number"),
    (row(mediation_name="X", mediation_phone="0161 496 0000 ext 2"),
     "mediation_phone '0161 496 0000 ext 2' is not a UK phone number"),
    (row(adviser_name="X", adviser_phone="call the office"), "adviser_phone 'call the office' is not a UK phone number"),
    (row(sendiass_email="ias@example"), "sendiass_email 'ias@example' is not an email address"),
    (row(sendiass_email="ias example.org"), "sendiass_email 'ias example.org' is not an email address"),
    (row(sendiass_email="a@b@example.org"), "sendiass_email 'a@b@example.org' is not an email address"),
    (row(sendiass_website="ftp://example.org"), "sendiass_website 'ftp://example.org' is not a web address"),
    (row(sendiass_website="example"), "sendiass_website 'example' is not a web address"),
    (row(sendiass_website="https://"), "sendiass_website 'https://' is not a web address"),
    (row(sendiass_website="www.example .org"), "sendiass_website 'www.example .org' is not a web address"),
    (row(local_offer="see the council website"), "local_offer 'see the council website' is not a web address"),
    (row(checked="1/4/2025"), "checked '1/4/2025' is not a date like 2026-11-28"),
    (row(checked="2026-02-30"), "checked '2026-02-30' is not a date like 2026-11-28"),
    (row(checked=""), "checked is empty"),
    (row(checked="2026-12-01"), "checked 2026-12-01 is in the future"),
    (row(source=""), "source is empty"),
    (row(sendiass_name="", sendiass_website="www.example.org"), "sendiass_name is empty, but other sendiass details"),
    (row(sendiass_name="IAS Manchester\u2019s service"), "sendiass_name 'IAS Manchester\u2019s service' has "
                                                          "characters a basic phone cannot show ('\u2019')"),
    (row(sendiass_name=""), "gives no contact"),
]


@pytest.mark.parametrize(("bad", "problem"), BAD_ROWS, ids=[p.split(" is ")[0][:40] for _, p in BAD_ROWS])
def test_a_bad_row_is_refused_with_its_line(tmp_path: Path, folder: Path, bad: str, problem: str) -> None:
    before = (folder / "contacts.yaml").read_bytes()
    sheet = HEADER + "\n" + row(code="E10000016", sendiass_name="Kent SENDIASS") + bad
    problems = import_contacts(write(tmp_path, sheet), folder, today=TODAY)
    assert len(problems) == 1, problems
    assert problems[0].startswith("contacts.csv:3: ")
    assert problem in problems[0]
    assert (folder / "contacts.yaml").read_bytes() == before


def test_every_problem_is_listed_and_the_old_data_kept(tmp_path: Path, folder: Path) -> None:
    before = (folder / "contacts.yaml").read_bytes()
    sheet = (
        HEADER + "\n"
        + row(code="E10000016", sendiass_name="Kent SENDIASS")  # line 2: fine
        + row(mediation_name="X", mediation_phone="0161 49", checked="yesterday")  # line 3: two problems
        + "\n"  # line 4: blank
        + row(code="E10000016", sendiass_name="Kent SENDIASS")  # line 5: Kent again
        + row(code="E99999999")  # line 6
    )
    problems = import_contacts(write(tmp_path, sheet), folder, today=TODAY)
    assert problems == [
        "contacts.csv:3: mediation_phone '0161 49' is not a UK phone number",
        "contacts.csv:3: checked 'yesterday' is not a date like 2026-11-28 (year-month-day)",
        "contacts.csv:5: E10000016 is also on line 2; give each council one row",
        "contacts.csv:6: code 'E99999999' is not a council in councils.yaml",
    ]
    assert (folder / "contacts.yaml").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["contacts.yaml", "councils.yaml"]


def test_a_row_spanning_lines_is_named_by_its_first_line(tmp_path: Path, folder: Path) -> None:
    sheet = HEADER + "\n" + row(source="Example\nleaflet") + row(code="E10000016", checked="soon")
    problems = import_contacts(write(tmp_path, sheet), folder, today=TODAY)
    assert problems == ["contacts.csv:4: checked 'soon' is not a date like 2026-11-28 (year-month-day)"]


@pytest.mark.parametrize(
    ("sheet", "problem"),
    [
        ("", "contacts.csv:1: the file is empty"),
        ("code,checked\nE08000003,2026-11-01\n", "contacts.csv:1: missing column 'source'"),
        ("code,checked,source,phone\n", "contacts.csv:1: unknown column 'phone'; the columns are code,council,"),
        ("code,checked,source,code\n", "contacts.csv:1: column 'code' given twice"),
        ("code;checked;source\nE08000003;2026-11-01;x\n", "contacts.csv:1: the columns are separated by ';'"),
        ("code,checked,source\nE08000003,2026-11-01,x,extra\n", "contacts.csv:2: has 4 fields but the header names 3"),
    ],
)
def test_a_bad_sheet_is_refused(tmp_path: Path, folder: Path, sheet: str, problem: str) -> None:
    before = (folder / "contacts.yaml").read_bytes()
    problems = import_contacts(write(tmp_path, sheet), folder, today=TODAY)
    assert problems and problems[0].startswith(problem), problems
    assert (folder / "contacts.yaml").read_bytes() == before


def test_a_sheet_that_is_not_utf8_is_refused(tmp_path: Path, folder: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes((HEADER + "\n" + row(source="Caf\u00e9 leaflet")).encode("cp1252"))
    before = (folder / "contacts.yaml").read_bytes()
    assert import_contacts(path, folder, today=TODAY) == [
        "contacts.csv:1: not UTF-8 text; save the spreadsheet as 'CSV UTF-8 (Comma delimited)'"
    ]
    assert (folder / "contacts.yaml").read_bytes() == before


def test_a_missing_sheet_is_reported(tmp_path: Path, folder: Path) -> None:
    problems = import_contacts(tmp_path / "nowhere.csv", folder, today=TODAY)
    assert len(problems) == 1 and problems[0].startswith("nowhere.csv: cannot read it")


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (folder / "contacts.yaml").read_bytes()

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        import_contacts(write(tmp_path, GOOD), folder, today=TODAY)
    assert (folder / "contacts.yaml").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["contacts.yaml", "councils.yaml"]


def test_fictional_numbers_are_recognised() -> None:
    for number in ("07700 900123", "0161 496 0000", "020 7946 0999", "+44 113 496 0500", "01632 960001"):
        assert is_fictional_number(number), number
    for number in ("0161 234 5000", "020 7946 1000", "0300 123 4567", "07700 901000", "not a number"):
        assert not is_fictional_number(number), number
