"""Every route in RULES.md, reached by SMS and by keypad, for each capacity.

Each case is what a caller sends after saying who they are, and what they must
then read (SMS) or hear (voice). Today is Sat 28 Nov 2026 (tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from helpline import gsm7
from helpline.checker import CONTACTS_SEGMENTS, SUMMARY_SEGMENTS
from tests.conftest import CALLER, Phone


@dataclass(frozen=True)
class Case:
    id: str
    texts: list[str]  # SMS answers after the capacity question
    keys: list[str]  # keypad answers after the capacity question
    reads: list[str]  # in the SMS summary (texted after a call too)
    hears: list[str]  # spoken at the end of the call
    never: list[str] = field(default_factory=list)  # must not be in the SMS summary


CASES = [
    Case(
        "sen-support-disagreement-resolution",
        ["1", "Manchester"],
        ["1", "1"],
        ["Your route: disagreement resolution.", "There is no Tribunal appeal about SEN support without an EHC plan.",
         "Manchester City Council:", "SENDIASS: IAS Manchester www.iasmanchester.org"],
        ["Your route is disagreement resolution."],
        ["mediation adviser by"],
    ),
    Case(
        "assessment-refused-wants-mediation",
        ["assessment", "3 October 2026", "no", "yes", "kent"],
        ["2", "03102026", "2", "1", "2"],
        ["Your route: mediation, then a SEND Tribunal appeal", "Contact the council's mediation adviser by Thu 3 Dec 2026.",
         "If you want mediation, tell the adviser: it must be arranged within 30 days.", "Appeal to reach the Tribunal by Thu 3 Dec 2026 (or 1 month after",
         "You need not agree in mediation, and can still appeal after it.", "Kent County Council:",
         "Use the mediation adviser named in the council's decision letter or its Local Offer."],
        ["Your route is mediation", "by Thursday 3 December 2026."],
    ),
    Case(
        "plan-contents-certificate-without-mediation",
        ["4", "03/10/26", "2", "2", "manchester"],
        ["4", "03102026", "2", "2", "1"],
        ["Your route: get a mediation certificate, then appeal", "Contact the council's mediation adviser by Thu 3 Dec 2026.",
         "They must send your certificate within 3 working days.", "Appeal to reach the Tribunal by Thu 3 Dec 2026"],
        ["Your route is to get a mediation certificate"],
        ["arranged within 30 days"],
    ),
    Case(
        "ceasing-plan-has-certificate",
        ["ceasing", "3.10.26", "yes", "yes", "20 November 2026", "Kent"],
        ["5", "03102026", "1", "1", "20112026", "2"],
        # 1 month from the certificate (Sun 20 Dec 2026) is later than 2 months
        # from the decision (Thu 3 Dec 2026), and moves to Monday: r.20(1)(c), r.12(2).
        ["Your route: get a mediation certificate", "Appeal to reach the Tribunal by Mon 21 Dec 2026."],
        ["by Monday 21 December 2026."],
        ["mediation adviser by", "Thu 3 Dec 2026"],
    ),
    Case(
        "placement-only-appeal",
        ["7", "3 Oct 2026", "manchester"],
        ["7", "03102026", "1"],
        ["You do not need a mediation certificate.", "Appeal to reach the Tribunal by Thu 3 Dec 2026",
         "Mediation is not needed for this appeal. You can still ask for mediation if you want it."],
        ["without a mediation certificate", "by Thursday 3 December 2026"],
        ["mediation adviser by"],
    ),
    Case(
        "health-social-care-not-sure-about-mediation",
        ["6", "3 October 2026", "no", "not sure", "kent"],
        ["6", "03102026", "2", "3", "2"],
        ["Your route: mediation", "For health parts, the NHS arranges mediation.",
         "If you want mediation, tell the adviser", "by Thu 3 Dec 2026"],
        ["Your route is mediation"],
    ),
    Case(
        "something-else-get-advice",
        ["8", "manchester"],
        ["8", "1"],
        ["Your route: talk to your local SENDIASS or IPSEA", "disability discrimination claim",
         "Disagreement resolution can be used at any time."],
        ["SENDIASS"],
        ["Appeal"],
    ),
    Case(
        "deadline-in-august-has-passed",
        ["2", "2 June 2026", "no", "yes", "kent"],
        ["2", "02062026", "2", "1", "2"],
        # 2 months from 2 Jun 2026 is Sun 2 Aug 2026: the adviser date moves back
        # to Fri 31 Jul (reg 33, never later), the appeal to Tue 1 Sep (r.12(3)(a)).
        ["Contact the council's mediation adviser by Fri 31 Jul 2026.", "That date has passed: get advice now",
         "Appeal to reach the Tribunal by Tue 1 Sep 2026"],
        ["by Friday 31 July 2026", "That date has passed"],
    ),
    Case(
        "no-decision-letter",
        ["3", "no letter", "no", "no", "kent"],
        ["3", "9", "2", "2", "2"],
        ["Contact the council's mediation adviser within 2 months of the date on the decision letter.",
         "Appeal within 2 months of the decision letter's date"],
        ["within 2 months of the date on the decision letter"],
        [" by "],
    ),
]

CAPACITIES = {
    "parent": ("1", None),
    "young-person": ("2", "You can ask a parent or advocate to help you."),
    "acting-for-young-person": ("3", "You decide for the young person, in their best interests."),
    "someone-else": ("5", "Only the parent or young person can do this: please pass it on."),
}
CAPACITY_NOTES = [note for _, note in CAPACITIES.values() if note]


def _assert_summary(texts: list[str], case: Case, capacity_note: str | None) -> None:
    """Two texts: the route and dates, then who to contact; GSM-7, within budget."""
    dates, contacts = texts
    assert dates.startswith("SEND helpline (general information, not legal advice):")
    assert gsm7.segments(dates) <= SUMMARY_SEGMENTS, (gsm7.segments(dates), dates)
    assert gsm7.segments(contacts) <= CONTACTS_SEGMENTS, (gsm7.segments(contacts), contacts)
    assert contacts.endswith("Keep copies of all you send, with proof of sending (signed-for post, email read receipts).")
    summary = "\n".join(texts)
    assert gsm7.non_gsm_characters(summary) == []
    for text in case.reads:
        assert text in summary
    for text in case.never:
        assert text not in summary
    for note in CAPACITY_NOTES:
        assert (note in summary) == (note == capacity_note), note


@pytest.mark.parametrize("capacity", CAPACITIES, ids=list(CAPACITIES))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_by_sms(phone: Phone, case: Case, capacity: str) -> None:
    key, note = CAPACITIES[capacity]
    assert "Who are you?" in await phone.text("Hi")
    assert "What is the disagreement about?" in await phone.text(key)
    for answer in case.texts[:-1]:
        await phone.text(answer)
    await phone.text(case.texts[-1])
    _assert_summary(phone.messages, case, note)


@pytest.mark.parametrize("capacity", CAPACITIES, ids=list(CAPACITIES))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_by_keypad(phone: Phone, fake_twilio, case: Case, capacity: str) -> None:
    key, note = CAPACITIES[capacity]
    assert "First, who are you?" in await phone.call()
    assert "What is the disagreement about?" in await phone.press(key)
    for digits in case.keys:
        heard = await phone.press(digits)
    for text in case.hears:
        assert text in heard
    assert "We are texting you this summary" in heard
    assert phone.hung_up
    assert {m["to"] for m in fake_twilio.messages} == {CALLER}
    _assert_summary([m["body"] for m in fake_twilio.messages], case, note)


@pytest.mark.parametrize("by", ["sms", "keypad"])
async def test_school_gets_disagreement_resolution_without_dispute_questions(phone: Phone, fake_twilio, by: str) -> None:
    if by == "sms":
        await phone.text("hello")
        assert "Which council is it?" in await phone.text("school")
        summary = await phone.text("manchester")
    else:
        await phone.call()
        assert "Which council is it?" in await phone.press("4")
        heard = await phone.press("1")
        assert "Your route is disagreement resolution." in heard
        summary = fake_twilio.messages[0]["body"]
    assert "Schools cannot use mediation or appeal." in summary
    assert "A school or setting has no mediation or appeal route of its own." in summary
    assert "Tribunal gets it by" not in summary
