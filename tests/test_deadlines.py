"""The deadlines in RULES.md section 3 (helpline.rules.deadlines).

Every expected date was worked out by hand against the real calendar and the
published England and Wales bank holidays (see tests/test_calendar.py for the
anchors), then checked with Python's calendar module.
"""

from collections.abc import Callable
from datetime import date

import pytest

from helpline.rules import deadlines
from helpline.rules.deadlines import (
    add_months,
    adviser_contact_deadline,
    appeal_deadline,
    certificate_after_mediation_due,
    certificate_if_not_arranged_due,
    certificate_without_mediation_due,
    latest_mediation_notice,
    mediation_agreement_due,
    mediation_arranged_by,
    tribunal_deadline,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2027, 3, 15), 2, date(2027, 5, 15), id="same-date"),
        pytest.param(date(2027, 1, 31), 1, date(2027, 2, 28), id="31-jan-to-28-feb"),
        pytest.param(date(2028, 1, 31), 1, date(2028, 2, 29), id="31-jan-to-29-feb-leap"),
        pytest.param(date(2027, 3, 31), 2, date(2027, 5, 31), id="31-mar-to-31-may"),
        pytest.param(date(2027, 3, 31), 1, date(2027, 4, 30), id="31-mar-to-30-apr"),
        pytest.param(date(2026, 12, 30), 2, date(2027, 2, 28), id="30-dec-to-28-feb"),
        pytest.param(date(2027, 12, 30), 2, date(2028, 2, 29), id="30-dec-to-29-feb-leap"),
        pytest.param(date(2027, 12, 31), 2, date(2028, 2, 29), id="31-dec-to-29-feb-leap"),
        pytest.param(date(2028, 2, 29), 1, date(2028, 3, 29), id="29-feb-to-29-mar"),
        pytest.param(date(2028, 2, 29), 12, date(2029, 2, 28), id="29-feb-plus-year"),
        pytest.param(date(2027, 2, 28), 1, date(2027, 3, 28), id="28-feb-to-28-mar-not-31"),
        pytest.param(date(2027, 4, 30), 1, date(2027, 5, 30), id="30-apr-to-30-may-not-31"),
        pytest.param(date(2027, 11, 15), 2, date(2028, 1, 15), id="across-year-end"),
        pytest.param(date(2027, 3, 15), 0, date(2027, 3, 15), id="zero-months"),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("last_day", "expected"),
    [
        # r.12(2): a working day stands; a non-working day moves forward.
        pytest.param(date(2027, 9, 15), date(2027, 9, 15), id="working-day-stands"),
        pytest.param(date(2027, 9, 18), date(2027, 9, 20), id="sat-to-mon"),
        pytest.param(date(2027, 3, 26), date(2027, 3, 30), id="good-friday-2027-to-tue"),
        pytest.param(date(2027, 3, 27), date(2027, 3, 30), id="easter-sat-2027-to-tue"),
        pytest.param(date(2028, 4, 14), date(2028, 4, 18), id="good-friday-2028-to-tue"),
        pytest.param(date(2027, 5, 3), date(2027, 5, 4), id="early-may-bank-holiday-mon"),
        pytest.param(date(2027, 5, 31), date(2027, 6, 1), id="spring-bank-holiday-mon"),
        pytest.param(date(2023, 5, 8), date(2023, 5, 9), id="coronation-one-off-mon"),
        pytest.param(date(2022, 9, 19), date(2022, 9, 20), id="queens-funeral-one-off-mon"),
        pytest.param(date(2020, 5, 8), date(2020, 5, 11), id="early-may-moved-fri-2020"),
        pytest.param(date(2028, 1, 3), date(2028, 1, 4), id="new-year-substitute-mon-3-jan"),
        pytest.param(date(2023, 1, 2), date(2023, 1, 3), id="new-year-substitute-mon-2-jan"),
        pytest.param(date(2028, 1, 2), date(2028, 1, 4), id="sun-2-jan-2028-outside-window"),
        # r.12(3)(a): August -> first working day after 31 August.
        pytest.param(date(2027, 8, 1), date(2027, 9, 1), id="sun-1-aug-2027"),
        pytest.param(date(2027, 8, 2), date(2027, 9, 1), id="mon-2-aug-2027"),
        pytest.param(date(2027, 8, 13), date(2027, 9, 1), id="fri-13-aug-2027"),
        pytest.param(date(2027, 8, 30), date(2027, 9, 1), id="bank-holiday-30-aug-2027"),
        pytest.param(date(2027, 8, 31), date(2027, 9, 1), id="tue-31-aug-2027-working-day"),
        pytest.param(date(2028, 8, 1), date(2028, 9, 1), id="tue-1-aug-2028-to-fri-1-sep"),
        pytest.param(date(2027, 9, 1), date(2027, 9, 1), id="wed-1-sep-2027-stands"),
        pytest.param(date(2027, 7, 31), date(2027, 8, 2), id="sat-31-jul-only-r12-2"),
        # r.12(3)(a): 25 Dec-1 Jan -> first working day after 1 January.
        pytest.param(date(2027, 12, 24), date(2027, 12, 24), id="fri-24-dec-2027-stands"),
        pytest.param(date(2027, 12, 25), date(2028, 1, 4), id="sat-25-dec-2027"),
        pytest.param(date(2027, 12, 27), date(2028, 1, 4), id="mon-27-dec-2027-substitute"),
        pytest.param(date(2027, 12, 29), date(2028, 1, 4), id="wed-29-dec-2027-working-day"),
        pytest.param(date(2027, 12, 31), date(2028, 1, 4), id="fri-31-dec-2027"),
        pytest.param(date(2028, 1, 1), date(2028, 1, 4), id="sat-1-jan-2028"),
        pytest.param(date(2027, 1, 1), date(2027, 1, 4), id="fri-1-jan-2027-to-mon-4"),
        pytest.param(date(2028, 12, 25), date(2029, 1, 2), id="mon-25-dec-2028-to-tue-2-jan"),
        pytest.param(date(2028, 12, 24), date(2028, 12, 27), id="sun-24-dec-2028-only-r12-2"),
    ],
)
def test_tribunal_deadline(last_day: date, expected: date) -> None:
    assert tribunal_deadline(last_day) == expected


@pytest.mark.parametrize(
    ("decision_sent", "certificate_issued", "expected"),
    [
        pytest.param(date(2027, 9, 1), None, date(2027, 11, 1), id="mon-1-nov-stands"),
        pytest.param(date(2027, 3, 15), None, date(2027, 5, 17), id="sat-15-may-to-mon"),
        pytest.param(date(2026, 12, 31), None, date(2027, 3, 1), id="sun-28-feb-to-mon"),
        pytest.param(date(2027, 12, 31), None, date(2028, 2, 29), id="29-feb-2028-leap"),
        pytest.param(date(2027, 1, 26), None, date(2027, 3, 30), id="good-friday-2027"),
        pytest.param(date(2028, 2, 14), None, date(2028, 4, 18), id="good-friday-2028"),
        pytest.param(date(2023, 3, 8), None, date(2023, 5, 9), id="coronation-2023"),
        pytest.param(date(2027, 6, 10), None, date(2027, 9, 1), id="august-2027"),
        pytest.param(date(2027, 6, 30), None, date(2027, 9, 1), id="august-bank-holiday"),
        pytest.param(date(2027, 10, 27), None, date(2028, 1, 4), id="27-dec-2027"),
        pytest.param(date(2027, 11, 1), None, date(2028, 1, 4), id="1-jan-2028"),
        pytest.param(
            date(2027, 3, 1), date(2027, 4, 21), date(2027, 5, 21),
            id="certificate-later-wins",
        ),
        pytest.param(
            date(2027, 3, 1), date(2027, 3, 15), date(2027, 5, 4),
            id="certificate-earlier-decision-wins-over-bank-holiday",
        ),
        pytest.param(
            date(2027, 3, 1), date(2027, 4, 1), date(2027, 5, 4),
            id="certificate-same-last-day",
        ),
        pytest.param(
            date(2027, 5, 10), date(2027, 7, 30), date(2027, 9, 1),
            id="certificate-later-lands-in-august",
        ),
        pytest.param(
            date(2027, 12, 5), date(2028, 1, 31), date(2028, 2, 29),
            id="certificate-31-jan-to-29-feb",
        ),
        pytest.param(
            date(2027, 10, 20), date(2027, 11, 29), date(2028, 1, 4),
            id="certificate-later-lands-29-dec",
        ),
    ],
)
def test_appeal_deadline(
    decision_sent: date, certificate_issued: date | None, expected: date
) -> None:
    assert appeal_deadline(decision_sent, certificate_issued) == expected


@pytest.mark.parametrize(
    ("decision_sent", "expected"),
    [
        pytest.param(date(2027, 9, 1), date(2027, 11, 1), id="mon-1-nov-stands"),
        pytest.param(date(2027, 3, 15), date(2027, 5, 14), id="sat-15-may-back-to-fri"),
        pytest.param(date(2027, 1, 26), date(2027, 3, 25), id="good-friday-back-to-thu"),
        pytest.param(date(2027, 6, 30), date(2027, 8, 27), id="bank-holiday-back-to-fri"),
        pytest.param(date(2027, 6, 10), date(2027, 8, 10), id="august-not-moved"),
        pytest.param(date(2027, 10, 27), date(2027, 12, 24), id="27-dec-back-to-24-dec"),
        pytest.param(date(2027, 12, 31), date(2028, 2, 29), id="29-feb-2028-leap"),
        pytest.param(date(2023, 3, 8), date(2023, 5, 5), id="coronation-back-to-fri"),
    ],
)
def test_adviser_contact_deadline(decision_sent: date, expected: date) -> None:
    assert adviser_contact_deadline(decision_sent) == expected


THREE_WORKING_DAYS = [
    pytest.param(date(2027, 9, 6), date(2027, 9, 9), id="mon-to-thu"),
    pytest.param(date(2027, 9, 10), date(2027, 9, 15), id="fri-across-weekend-to-wed"),
    pytest.param(date(2027, 9, 11), date(2027, 9, 15), id="sat-to-wed"),
    pytest.param(date(2027, 3, 25), date(2027, 4, 1), id="across-easter-2027"),
    pytest.param(date(2028, 4, 12), date(2028, 4, 19), id="across-easter-2028"),
    pytest.param(date(2027, 12, 22), date(2027, 12, 29), id="across-christmas-2027"),
    pytest.param(date(2027, 12, 30), date(2028, 1, 5), id="across-new-year-2028"),
    pytest.param(date(2027, 8, 26), date(2027, 9, 1), id="across-august-bank-holiday"),
    pytest.param(date(2023, 5, 6), date(2023, 5, 11), id="across-coronation"),
    pytest.param(date(2022, 9, 16), date(2022, 9, 22), id="across-queens-funeral"),
]


@pytest.mark.parametrize(
    "rule",
    [
        certificate_without_mediation_due,
        certificate_if_not_arranged_due,
        certificate_after_mediation_due,
    ],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize(("told", "expected"), THREE_WORKING_DAYS)
def test_certificate_within_three_working_days(
    rule: Callable[[date], date], told: date, expected: date
) -> None:
    assert rule(told) == expected


@pytest.mark.parametrize(
    ("told", "expected"),
    [
        pytest.param(date(2027, 9, 1), date(2027, 10, 1), id="1-sep-to-1-oct"),
        pytest.param(date(2027, 1, 31), date(2027, 3, 2), id="across-feb"),
        pytest.param(date(2028, 1, 31), date(2028, 3, 1), id="across-feb-leap"),
        pytest.param(date(2027, 12, 1), date(2027, 12, 31), id="1-dec-to-31-dec"),
        pytest.param(date(2027, 2, 26), date(2027, 3, 28), id="easter-sunday-not-moved"),
        pytest.param(date(2027, 11, 25), date(2027, 12, 25), id="christmas-not-moved"),
    ],
)
def test_mediation_arranged_by(told: date, expected: date) -> None:
    assert mediation_arranged_by(told) == expected


@pytest.mark.parametrize(
    ("mediation_day", "expected"),
    [
        pytest.param(date(2027, 9, 13), date(2027, 9, 6), id="mon-to-previous-mon"),
        pytest.param(date(2027, 9, 17), date(2027, 9, 10), id="fri-to-previous-fri"),
        pytest.param(date(2027, 9, 15), date(2027, 9, 8), id="wed-to-previous-wed"),
        pytest.param(date(2027, 4, 2), date(2027, 3, 24), id="back-across-easter-2027"),
        pytest.param(date(2028, 1, 4), date(2027, 12, 23), id="back-across-christmas"),
        pytest.param(date(2023, 5, 10), date(2023, 5, 2), id="back-across-coronation"),
    ],
)
def test_latest_mediation_notice(mediation_day: date, expected: date) -> None:
    assert latest_mediation_notice(mediation_day) == expected


@pytest.mark.parametrize(
    ("agreement_day", "expected"),
    [
        pytest.param(date(2027, 9, 1), date(2027, 9, 15), id="two-weeks"),
        pytest.param(date(2027, 12, 24), date(2028, 1, 7), id="across-new-year"),
        pytest.param(date(2027, 2, 22), date(2027, 3, 8), id="across-feb"),
        pytest.param(date(2028, 2, 22), date(2028, 3, 7), id="across-feb-leap"),
        pytest.param(date(2027, 3, 12), date(2027, 3, 26), id="good-friday-not-moved"),
    ],
)
def test_mediation_agreement_due(agreement_day: date, expected: date) -> None:
    assert mediation_agreement_due(agreement_day) == expected


@pytest.mark.parametrize(
    ("rule", "citations"),
    [
        (add_months, ["Rules r.12"]),
        (tribunal_deadline, ["Rules r.12(2)", "r.12(3)(a)"]),
        (appeal_deadline, ["Rules r.20(1)(c)"]),
        (adviser_contact_deadline, ["Regs reg 33"]),
        (certificate_without_mediation_due, ["Regs reg 34 [check]"]),
        (mediation_arranged_by, ["Guide; Regs [check]"]),
        (certificate_if_not_arranged_due, ["[check]"]),
        (certificate_after_mediation_due, ["[check]"]),
        (latest_mediation_notice, ["Code"]),
        (mediation_agreement_due, ["Regs reg 42"]),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_every_rule_cites_its_source(
    rule: Callable[..., date], citations: list[str]
) -> None:
    for citation in citations:
        assert citation in (rule.__doc__ or "")


def test_every_public_rule_is_cited_above() -> None:
    cited = {
        "add_months", "tribunal_deadline", "appeal_deadline",
        "adviser_contact_deadline", "certificate_without_mediation_due",
        "mediation_arranged_by", "certificate_if_not_arranged_due",
        "certificate_after_mediation_due", "latest_mediation_notice",
        "mediation_agreement_due",
    }
    assert set(deadlines.__all__) == cited
