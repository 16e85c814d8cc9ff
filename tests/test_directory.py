"""The shipped directory: every council with SEND duties, and finding one from a text."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from helpline.directory import MAX_OFFERED, Directory, DirectoryError, load_directory, name_key
from helpline.directory_import import is_fictional_number
from helpline.gsm7 import non_gsm_characters
from helpline.yamlfile import YamlError

FOLDER = Path(__file__).resolve().parent.parent / "directory"


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory(FOLDER)


# --- the list of councils ---------------------------------------------------------


def test_every_upper_tier_council_in_england_as_at_1_april_2023(directory: Directory) -> None:
    # 21 county councils, 63 unitary authorities (with the Isles of Scilly),
    # 36 metropolitan districts, 32 London boroughs and the City of London.
    assert directory.as_at == date(2023, 4, 1)
    assert len(directory.councils) == 153
    assert Counter(code[:3] for code in directory.councils) == {"E10": 21, "E06": 63, "E08": 36, "E09": 33}
    assert "ONS" in directory.source and "mysociety" in directory.source.lower()


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("E08000003", "Manchester City Council"),
        ("E10000016", "Kent County Council"),
        ("E06000052", "Cornwall Council"),
        ("E09000001", "City of London Corporation"),
        ("E06000053", "Council of the Isles of Scilly"),
        ("E06000065", "North Yorkshire Council"),
        ("E06000063", "Cumberland Council"),
        ("E06000064", "Westmorland and Furness Council"),
        ("E06000066", "Somerset Council"),
        ("E08000025", "Birmingham City Council"),
        ("E06000010", "Hull City Council"),
        ("E06000023", "Bristol City Council"),
        ("E06000019", "Herefordshire Council"),
        ("E06000047", "Durham County Council"),
        ("E09000021", "Royal Borough of Kingston upon Thames"),
        ("E06000043", "Brighton and Hove City Council"),
        ("E06000058", "Bournemouth, Christchurch and Poole Council"),
        ("E06000060", "Buckinghamshire Council"),
        ("E06000061", "North Northamptonshire Council"),
        ("E06000062", "West Northamptonshire Council"),
        ("E10000030", "Surrey County Council"),
    ],
)
def test_names_and_codes(directory: Directory, code: str, name: str) -> None:
    council = directory.get(code)
    assert council is not None and council.name == name


def test_ons_area_names_are_kept(directory: Directory) -> None:
    assert directory.councils["E06000010"].area == "Kingston upon Hull, City of"
    assert directory.councils["E06000023"].area == "Bristol, City of"
    assert directory.councils["E06000019"].area == "Herefordshire, County of"
    assert directory.councils["E06000047"].area == "County Durham"


@pytest.mark.parametrize(
    "gone",
    [
        "E10000006",  # Cumbria County Council, abolished 1 April 2023
        "E10000023",  # North Yorkshire County Council, 2023
        "E10000027",  # Somerset County Council, 2023
        "E10000021",  # Northamptonshire County Council, 2021
        "E10000002",  # Buckinghamshire County Council, 2020
        "E10000009",  # Dorset County Council, 2019
        "E06000028",  # Bournemouth, 2019
        "E06000029",  # Poole, 2019
        "E06000048",  # Northumberland's old code
        "E07000195",  # Newcastle-under-Lyme: a district, not upper tier
    ],
)
def test_abolished_councils_and_districts_are_not_listed(directory: Directory, gone: str) -> None:
    assert directory.get(gone) is None


def test_codes_are_gss_codes_of_the_right_kind(directory: Directory) -> None:
    for code, council in directory.councils.items():
        assert re.fullmatch(r"E(06|08|09|10)[0-9]{6}", code)
        assert council.code == code and council.kind
    assert directory.councils["E10000016"].kind == "county council"
    assert directory.councils["E06000052"].kind == "unitary authority"
    assert directory.councils["E08000003"].kind == "metropolitan district"
    assert directory.councils["E09000001"].kind == "London borough"


def test_no_duplicate_codes_or_names() -> None:
    codes = re.findall(r"^  (E\d{8}):", (FOLDER / "councils.yaml").read_text(encoding="utf-8"), re.MULTILINE)
    assert len(codes) == len(set(codes)) == 153  # YAML would keep only the last of a repeated key
    directory = load_directory(FOLDER)
    names = [name_key(c.name) for c in directory.councils.values()]
    areas = [name_key(c.area) for c in directory.councils.values()]
    assert len(set(names)) == len(names)
    assert len(set(areas)) == len(areas)


# Names deliberately given to more than one council: texting one offers them all.
SHARED = {
    "kingston": {"E06000010", "E09000021"},
    "cumbria": {"E06000063", "E06000064"},
    "cheshire": {"E06000049", "E06000050"},
    "sussex": {"E10000011", "E10000032"},
    "northants": {"E06000061", "E06000062"},
    "northamptonshire": {"E06000061", "E06000062"},
    "bedfordshire": {"E06000055", "E06000056"},
    "beds": {"E06000055", "E06000056"},
    "berkshire": {"E06000036", "E06000037", "E06000038", "E06000039", "E06000040", "E06000041"},
    "nottingham": {"E06000018", "E10000024"},  # the city and the county named after it
    "leicester": {"E06000016", "E10000018"},
    "derby": {"E06000015", "E10000007"},
}


def test_a_name_is_shared_only_on_purpose(directory: Directory) -> None:
    owners: dict[str, set[str]] = {}
    for council in directory.councils.values():
        for name in council.names:
            owners.setdefault(name, set()).add(council.code)
    assert {name: codes for name, codes in owners.items() if len(codes) > 1} == SHARED


def test_every_name_of_every_council_finds_it(directory: Directory) -> None:
    for council in directory.councils.values():
        texts = [council.name, council.area, *council.short_names, council.name.upper(), f"{council.area} council"]
        for text in texts:
            found = directory.lookup(text)
            shared = SHARED.get(name_key(text).removesuffix(" council"), set())
            if len(shared) > MAX_OFFERED:
                assert found.too_many, text
            else:
                assert found.exact and {c.code for c in found.councils} == (shared or {council.code}), text


def test_names_are_gsm7_so_the_summary_stays_cheap(directory: Directory) -> None:
    for council in directory.councils.values():
        assert not non_gsm_characters(council.name), council.name


def test_councils_file_names_its_source_and_date() -> None:
    head = (FOLDER / "councils.yaml").read_text(encoding="utf-8")[:4000]
    assert "source:" in head and "as_at: 2023-04-01" in head and "count: 153" in head
    assert "1 April 2027" in head  # the next change (Surrey) is flagged for whoever keeps the file


# --- shipped contacts ---------------------------------------------------------------


def test_the_manchester_sendiass_entry_is_kept_with_its_source(directory: Directory) -> None:
    manchester = directory.councils["E08000003"]
    assert manchester.sendiass is not None
    assert (manchester.sendiass.name, manchester.sendiass.website) == ("IAS Manchester", "www.iasmanchester.org")
    assert manchester.source.startswith("RANi advisory sheet 6")
    assert manchester.checked == date(2025, 4, 1)


def test_every_shipped_contact_cites_a_source_and_a_date(directory: Directory) -> None:
    with_contacts = [c for c in directory.councils.values() if c.has_contacts]
    assert with_contacts
    for council in with_contacts:
        assert council.source.strip() and council.checked is not None, council.code


def test_no_fictional_number_is_shipped(directory: Directory) -> None:
    text = (FOLDER / "contacts.yaml").read_text(encoding="utf-8")
    for council in directory.councils.values():
        for contact in (council.mediation, council.adviser, council.sendiass):
            if contact and contact.phone:
                assert not is_fictional_number(contact.phone), (council.code, contact.phone)
    for number in re.findall(r"\+?[0-9][0-9 ]{8,}[0-9]", text):
        assert not is_fictional_number(number), number


# --- finding a council from a text -----------------------------------------------------

MANCHESTER, KENT, LEEDS, LIVERPOOL = "E08000003", "E10000016", "E08000035", "E08000012"
HULL, KINGSTON_THAMES, BRIGHTON, BRISTOL = "E06000010", "E09000021", "E06000043", "E06000023"
NOTTINGHAM, NOTTS, YORK, DURHAM = "E06000018", "E10000024", "E06000014", "E06000047"
NEWCASTLE, HERTS, BUCKS = "E08000021", "E10000015", "E06000060"
TOWER_HAMLETS, BARKING, BIRMINGHAM = "E09000030", "E09000002", "E08000025"

FINDS = [
    # as people write them
    ("manchester", [MANCHESTER]),
    ("Manchester City Council", [MANCHESTER]),
    ("city of manchester", [MANCHESTER]),
    ("mancs", [MANCHESTER]),
    ("MANCHESTER!", [MANCHESTER]),
    ("i live in manchester", [MANCHESTER]),
    ("manchester council please", [MANCHESTER]),
    ("brighton", [BRIGHTON]),
    ("Brighton & Hove", [BRIGHTON]),
    ("Hull", [HULL]),
    ("kingston upon hull", [HULL]),
    ("Kingston upon Thames", [KINGSTON_THAMES]),
    ("kingston on thames", [KINGSTON_THAMES]),
    ("leeds", [LEEDS]),
    ("Newcastle", [NEWCASTLE]),
    ("newcastle-upon-tyne", [NEWCASTLE]),
    ("bristol", [BRISTOL]),
    ("Bristol, City of", [BRISTOL]),
    ("nottinghamshire", [NOTTS]),
    ("notts", [NOTTS]),
    ("herts", [HERTS]),
    ("bucks", [BUCKS]),
    ("tower hamlets", [TOWER_HAMLETS]),
    ("barking", [BARKING]),
    ("york", [YORK]),
    ("durham", [DURHAM]),
    ("County Durham", [DURHAM]),
    ("herefordshire", ["E06000019"]),
    ("Isles of Scilly", ["E06000053"]),
    ("city of london", ["E09000001"]),
    ("brum", [BIRMINGHAM]),
    ("kent", [KENT]),
    ("Telford & Wrekin", ["E06000020"]),
    ("st. helens", ["E08000013"]),
    ("newcastle under lyme", ["E10000028"]),  # a district: its SEND council is Staffordshire
    ("barrow in furness", ["E06000064"]),
    # typos
    ("manchster", [MANCHESTER]),
    ("manchester city counsil", [MANCHESTER]),
    ("brigton", [BRIGHTON]),
    ("livrpool", [LIVERPOOL]),
    ("leds", [LEEDS]),
    ("birmingam", [BIRMINGHAM]),
    ("sheffeild", ["E08000019"]),
    ("wolverhamton", ["E08000031"]),
    ("hackny", ["E09000012"]),
    ("towerhamlets", [TOWER_HAMLETS]),
    ("stokeontrent", ["E06000021"]),
    ("kingston upon hul", [HULL]),
    # ambiguous: a short list, best first
    ("kingston", [HULL, KINGSTON_THAMES]),
    ("kingstn", [HULL, KINGSTON_THAMES]),
    ("nottingham", [NOTTINGHAM, NOTTS]),
    ("notingham", [NOTTINGHAM, NOTTS]),
    ("cumbria", ["E06000063", "E06000064"]),
    ("sussex", ["E10000011", "E10000032"]),
    ("cheshire", ["E06000049", "E06000050"]),
    ("yorkshire", ["E06000011", "E06000065"]),
    # nothing
    ("narnia", []),
    ("banana", []),
    ("i dont know", []),
    ("I don't know", []),
    ("the council", []),
    ("west yorkshire", []),  # not a council: Leeds, Bradford, Wakefield...
    ("greater manchester", []),
    ("north", []),
    ("my son has autism", []),
    ("cardiff", []),  # Wales
    ("", []),
    ("   ", []),
    ("!!!", []),
]


@pytest.mark.parametrize(("text", "codes"), FINDS, ids=[text or "empty" for text, _ in FINDS])
def test_find(directory: Directory, text: str, codes: list[str]) -> None:
    found = [council.code for council in directory.find(text)]
    if len(codes) > 1:
        assert sorted(found) == sorted(codes)
    else:
        assert found == codes


def test_an_exact_name_wins_alone(directory: Directory) -> None:
    # "somerset" fits North Somerset too, but it is Somerset Council's own name.
    assert [c.code for c in directory.find("somerset")] == ["E06000066"]
    assert directory.lookup("somerset").exact
    assert not directory.lookup("manchster").exact


def test_ambiguous_lists_come_best_first(directory: Directory) -> None:
    # "staford" is one letter from Stafford (Staffordshire), two from Stratford (Newham).
    assert [c.code for c in directory.find("staford")] == ["E10000028", "E09000025"]


def test_more_than_five_equally_good_is_too_many(directory: Directory) -> None:
    for text in ("london", "berkshire"):
        found = directory.lookup(text)
        assert found.too_many and not found.councils, text
        assert directory.find(text) == []


def test_never_more_than_five(directory: Directory) -> None:
    for text in ("east", "west", "south", "city", "borough", "upon thames", "forest", "shire", "ham", "ton"):
        assert len(directory.find(text)) <= MAX_OFFERED, text


COMMON_WORDS = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by word "
    "but not what all were we when your can said there use each which she do how their if will up other about "
    "out many then them these so some her would make like him into time has look two more write go see number "
    "no way could people my than first water been call who oil now find long down day did get come made may part "
    "school plan assessment refused ehcp tribunal mediation appeal letter date yes maybe dunno idk unsure help "
    "stop start restart back repeat adviser son daughter child autism teacher senco nursery college academy "
    "hospital doctor thanks hello hiya okay cheers sorry"
).split()


def test_everyday_words_find_no_council(directory: Directory) -> None:
    assert {word: [c.name for c in directory.find(word)] for word in COMMON_WORDS if directory.find(word)} == {}


def test_serving_keeps_the_configured_order(directory: Directory) -> None:
    assert [c.code for c in directory.serving([KENT, MANCHESTER, "E99999999"])] == [KENT, MANCHESTER]
    assert len(directory.serving([])) == 153


# --- a broken directory is refused, naming file and line ---------------------------


def _folder(tmp_path: Path, councils: str, contacts: str | None = None) -> Path:
    (tmp_path / "councils.yaml").write_text(councils, encoding="utf-8")
    if contacts is not None:
        (tmp_path / "contacts.yaml").write_text(contacts, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("councils", "contacts", "problem"),
    [
        ("count: 3\ncouncils:\n  E08000003: {name: Manchester City Council}\n", None,
         "councils.yaml:1: count says 3, the file lists 1"),
        ("councils:\n  E07000195: {name: Newcastle-under-Lyme Borough Council}\n", None,
         "councils.yaml:2: 'E07000195' is not the GSS code of an upper-tier council"),
        ("councils:\n  E08000003: {name: Manchester City Council, short: [mancs]}\n", None,
         "councils.yaml:2: E08000003 has unknown keys ['short']"),
        ("councils:\n  E08000003: {name: Manchester City Council}\n  E08000003: {name: Leeds City Council}\n", None,
         "'E08000003' is given twice in one mapping, on lines 2 and 3"),
        ("councils:\n  E08000003: {name: Manchester City Council}\n",
         "contacts:\n  E08000035:\n    sendiass: {name: X}\n    source: s\n    checked: 2025-01-01\n",
         "contacts.yaml:2: 'E08000035' is not a council in councils.yaml"),
        ("councils:\n  E08000003: {name: Manchester City Council}\n",
         "contacts:\n  E08000003:\n    sendiass: {name: X}\n    checked: 2025-01-01\n",
         "contacts.yaml:2: E08000003 needs `checked:` (a date, YYYY-MM-DD) and `source:`"),
    ],
)
def test_a_broken_directory_is_refused(tmp_path: Path, councils: str, contacts: str | None, problem: str) -> None:
    with pytest.raises(YamlError) as raised:
        load_directory(_folder(tmp_path, councils, contacts))
    assert problem in str(raised.value)


def test_directory_errors_are_yaml_errors_so_the_cli_reports_them() -> None:
    assert issubclass(DirectoryError, YamlError)
