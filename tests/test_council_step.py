"""Naming the council by text, and the contacts the summary gives for it:
full, partial (only the SENDIASS) and none (where to look instead)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from helpline import gsm7
from helpline.checker import CONTACTS_SEGMENTS, SUMMARY_SEGMENTS
from tests.conftest import Phone, running

# Fictional numbers only (Ofcom's drama ranges): never real contacts in tests.
CONTACTS = """
contacts:
  E08000032:  # City of Bradford Metropolitan District Council: the longest name
    mediation: {name: "Test Mediation Ltd", phone: "0113 496 0000", email: "mediate@example.org", website: "example.org"}
    adviser: {name: "Bradford SEND adviser", phone: "0113 496 0001"}
    sendiass: {name: "Test SENDIASS", phone: "0113 496 0002", website: "sendiass.example.org"}
    local_offer: "example.org/local-offer"
    source: "test fixture"
    checked: 2026-11-02
"""


async def _to_council(phone: Phone) -> None:
    for text in ("hi", "1", "assessment", "3 October 2026", "no"):
        await phone.text(text)
    assert "Which council is it?" in await phone.text("yes")


@pytest.mark.parametrize(
    "texted, council",
    [
        ("manchester", "Manchester City Council:"),
        ("Manchester City Council", "Manchester City Council:"),
        ("mancs", "Manchester City Council:"),
        ("manchster", "Manchester City Council:"),
        ("Brighton", "Brighton and Hove City Council:"),
        ("Hull", "Hull City Council:"),
        ("tower hamlets", "Tower Hamlets"),
    ],
)
async def test_a_council_named_as_people_write_it(phone: Phone, texted: str, council: str) -> None:
    await _to_council(phone)
    assert council in await phone.text(texted)


async def test_an_ambiguous_name_offers_a_numbered_list(phone: Phone) -> None:
    await _to_council(phone)
    offer = await phone.text("kingston")
    assert offer.startswith("Which one? Reply with the number, or text the name again:")
    lines = offer.splitlines()[1:]
    assert len(lines) == 2 and all(line[0] in "12" for line in lines)
    thames = next(line for line in lines if "Thames" in line)
    summary = await phone.text(thames[0])
    assert "Kingston upon Thames" in summary and "Your route: mediation" in summary


async def test_a_new_name_instead_of_a_number(phone: Phone) -> None:
    await _to_council(phone)
    await phone.text("kingston")
    assert "Kent County Council:" in await phone.text("kent")


@pytest.mark.parametrize(
    "texted, reply",
    [
        ("narnia", "Sorry, I could not find that council."),
        ("london", "Many councils fit that. Please text more of the name"),
        ("I don't know", "It is the council that sent the decision letter"),
        ("7", "Sorry, I could not find that council."),
    ],
)
async def test_council_re_prompts(phone: Phone, texted: str, reply: str) -> None:
    await _to_council(phone)
    answer = await phone.text(texted)
    assert answer.startswith(reply)
    assert "Which council is it?" in answer


@pytest.fixture
def directory_with_contacts(tmp_path: Path) -> Path:
    folder = tmp_path / "directory"
    shutil.copytree(Path(__file__).parent.parent / "directory", folder)
    shipped = (folder / "contacts.yaml").read_text(encoding="utf-8")
    (folder / "contacts.yaml").write_text(shipped + CONTACTS.split("contacts:\n", 1)[1], encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "council, present, absent",
    [
        pytest.param(
            "bradford",
            ["City of Bradford Metropolitan District Council:",
             "Mediation: Test Mediation Ltd 0113 496 0000 mediate@example.org example.org",
             "Mediation adviser: Bradford SEND adviser 0113 496 0001",
             "SENDIASS: Test SENDIASS 0113 496 0002 sendiass.example.org",
             "Local Offer: example.org/local-offer", "(Contacts checked Mon 2 Nov 2026.)"],
            ["Use the mediation adviser named in the council's decision letter"],
            id="full",
        ),
        pytest.param(
            "manchester",
            ["Manchester City Council:", "Use the mediation adviser named in the council's decision letter",
             "SENDIASS: IAS Manchester www.iasmanchester.org", "(Contacts checked Tue 1 Apr 2025.)"],
            ["Mediation:"],
            id="partial",
        ),
        pytest.param(
            "kent",
            ["Kent County Council:", "Use the mediation adviser named in the council's decision letter or its Local Offer."],
            ["SENDIASS:", "Contacts checked"],
            id="none",
        ),
    ],
)
async def test_summary_contacts(settings, clock, directory_with_contacts: Path, council: str, present, absent) -> None:
    async with running(replace(settings, directory_dir=directory_with_contacts), clock) as (_, http):
        phone = Phone(http)
        await _to_council(phone)
        summary = await phone.text(council)
    for text in present:
        assert text in summary
    for text in absent:
        assert text not in summary
    assert "Free advice: IPSEA ipsea.org.uk" in summary
    assert gsm7.non_gsm_characters(summary) == []
    dates, contacts = phone.messages
    assert gsm7.segments(dates) <= SUMMARY_SEGMENTS
    assert gsm7.segments(contacts) <= CONTACTS_SEGMENTS, contacts
    assert "Free advice: IPSEA ipsea.org.uk" in contacts
