"""Which reminders a caller's steps give, and on which days (pure rules).

Today is Sat 28 Nov 2026; reminders 14, 7 and 2 days before the caller's own
deadlines, check-ins the working day after someone else's.
"""

from __future__ import annotations

from datetime import date

import pytest

from helpline.rules.reminders import CHECK_IN, REMINDER, plan
from helpline.rules.routes import Capacity, Dispute, Situation, advise

TODAY = date(2026, 11, 28)
DECIDED = date(2026, 10, 3)  # adviser and appeal both by Thu 3 Dec 2026


def _plan(**answers: object) -> list[tuple[str, str, date]]:
    situation = Situation(Capacity.PARENT, TODAY, **answers)  # type: ignore[arg-type]
    return [(r.kind, r.step, r.send_on) for r in plan(advise(situation), TODAY, (14, 7, 2))]


CASES = [
    pytest.param(
        dict(dispute=Dispute.ASSESSMENT_REFUSED, decision_date=date(2026, 11, 2), contacted_adviser=False,
             wants_mediation=True),
        # 2 months from 2 Nov is Sat 2 Jan 2027: the adviser date moves back to
        # Thu 31 Dec (reg 33, never later); the appeal forward to Mon 4 Jan (r.12(2)).
        [(REMINDER, "contact_adviser", date(2026, 12, 17)), (REMINDER, "appeal", date(2026, 12, 21)),
         (REMINDER, "contact_adviser", date(2026, 12, 24)), (REMINDER, "appeal", date(2026, 12, 28)),
         (REMINDER, "contact_adviser", date(2026, 12, 29)), (REMINDER, "appeal", date(2027, 1, 2))],
        id="two-deadlines-all-ahead",
    ),
    pytest.param(
        dict(dispute=Dispute.PLAN_CONTENTS, decision_date=DECIDED, contacted_adviser=False, wants_mediation=False),
        # 14 and 7 days before Thu 3 Dec are already past: only 2 days before.
        [(REMINDER, "appeal", date(2026, 12, 1)), (REMINDER, "contact_adviser", date(2026, 12, 1))],
        id="only-reminders-still-to-come",
    ),
    pytest.param(
        dict(dispute=Dispute.PLAN_CONTENTS, decision_date=DECIDED, contacted_adviser=True, wants_mediation=False,
             told_adviser_date=date(2026, 11, 27)),
        # Told the adviser Fri 27 Nov: certificate due 3 working days later, Wed 2 Dec;
        # the check-in is the next working day, Thu 3 Dec.
        [(REMINDER, "appeal", date(2026, 12, 1)), (CHECK_IN, "ask_for_certificate", date(2026, 12, 3))],
        id="certificate-check-in",
    ),
    pytest.param(
        dict(dispute=Dispute.PLAN_CONTENTS, decision_date=DECIDED, contacted_adviser=True, wants_mediation=True,
             told_adviser_date=date(2026, 11, 27)),
        # Mediation arranged within 30 days: by Sun 27 Dec; check-in Tue 29 Dec (28 Dec is a bank holiday).
        [(REMINDER, "appeal", date(2026, 12, 1)), (CHECK_IN, "mediation_arranged", date(2026, 12, 29))],
        id="mediation-arranged-check-in",
    ),
    pytest.param(
        dict(dispute=Dispute.PLAN_CONTENTS, decision_date=DECIDED, contacted_adviser=True, wants_mediation=True,
             mediation_date=date(2026, 12, 10)),
        [(REMINDER, "appeal", date(2026, 12, 1)), (REMINDER, "mediation_on", date(2026, 12, 8)),
         (CHECK_IN, "certificate_after_mediation", date(2026, 12, 16))],
        id="mediation-booked",
    ),
    pytest.param(
        dict(dispute=Dispute.CEASING_PLAN, decision_date=DECIDED, contacted_adviser=True, has_certificate=True,
             certificate_date=date(2026, 11, 20)),
        [(REMINDER, "appeal_with_certificate", date(2026, 12, 7)),
         (REMINDER, "appeal_with_certificate", date(2026, 12, 14)),
         (REMINDER, "appeal_with_certificate", date(2026, 12, 19))],
        id="certificate-moves-the-appeal",
    ),
    pytest.param(dict(dispute=Dispute.SEN_SUPPORT), [], id="no-dates-no-reminders"),
    pytest.param(
        dict(dispute=Dispute.PLAN_CONTENTS, decision_date=DECIDED, contacted_adviser=False, wants_mediation=False,
             resolved=True),
        [],
        id="resolved",
    ),
]


@pytest.mark.parametrize("answers, expected", CASES)
def test_reminder_plan(answers: dict, expected: list) -> None:
    assert _plan(**answers) == expected
