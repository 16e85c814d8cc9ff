"""The deadlines the helpline computes and reminds about (RULES.md section 3).

Each public function is one rule, and its docstring names the source as
RULES.md does. Rules marked **[check]** come from secondary sources (IPSEA,
local SENDIASS services), not yet from the text of the legislation; their
numbers are module constants so they are easy to change.

Pure functions: no clock reads, no I/O. Every date is the last day on which
the act is in time; Tribunal acts are due by 5pm on that day (Rules r.12(1)).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from helpline.rules.calendar import (
    add_working_days,
    next_working_day,
    previous_working_day,
)

__all__ = [
    "add_months",
    "tribunal_deadline",
    "appeal_deadline",
    "adviser_contact_deadline",
    "certificate_without_mediation_due",
    "mediation_arranged_by",
    "certificate_if_not_arranged_due",
    "certificate_after_mediation_due",
    "latest_mediation_notice",
    "mediation_agreement_due",
]

APPEAL_MONTHS_AFTER_DECISION = 2  # Rules r.20(1)(c)
APPEAL_MONTHS_FROM_CERTIFICATE = 1  # Rules r.20(1)(c)
ADVISER_CONTACT_MONTHS = 2  # Regs reg 33
CERTIFICATE_WITHOUT_MEDIATION_WORKING_DAYS = 3  # Regs reg 34 [check]
MEDIATION_ARRANGED_DAYS = 30  # Guide; Regs [check]
CERTIFICATE_IF_NOT_ARRANGED_WORKING_DAYS = 3  # [check]
CERTIFICATE_AFTER_MEDIATION_WORKING_DAYS = 3  # [check]
MEDIATION_NOTICE_WORKING_DAYS = 5  # Code
MEDIATION_AGREEMENT_DAYS = 14  # Regs reg 42: "within 2 weeks"


def add_months(day: date, months: int) -> date:
    """The same date ``months`` calendar months later, or that month's last day.

    Rules r.12: a month is a calendar month, to the same date in the later
    month; where that month has no such date, its last day (RULES.md
    section 3, "How to count"). 31 January + 1 month is 28 (or 29) February.
    """
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def tribunal_deadline(last_day: date) -> date:
    """Where a Tribunal time limit ending on ``last_day`` really ends (SEN case).

    Rules r.12(3)(a) (amended 2020): if the time for providing the application
    notice ends on any day from 25 December to 1 January inclusive, or on any
    day in August, it is in time on the first working day after 1 January or
    31 August respectively. Otherwise Rules r.12(2): a time limit ending on a
    non-working day moves to the next working day. r.12(3)(a) is tested on
    ``last_day`` itself, never on a day r.12(2) has moved it to, so the
    helpline never states a date later than the law allows. For the r.20
    application notice only: other acts in SEN cases fall under r.12(3)(b)
    (those days are not counted), which is not implemented here.
    """
    if (last_day.month, last_day.day) >= (12, 25):
        return next_working_day(date(last_day.year + 1, 1, 2))
    if (last_day.month, last_day.day) == (1, 1):
        return next_working_day(date(last_day.year, 1, 2))
    if last_day.month == 8:
        return next_working_day(date(last_day.year, 9, 1))
    return next_working_day(last_day)


def appeal_deadline(
    decision_sent: date, certificate_issued: date | None = None
) -> date:
    """Last day for the Tribunal to *receive* the appeal (application notice).

    Rules r.20(1)(c): within 2 months after notice of the decision was sent,
    or within 1 month from the date the mediation certificate was issued if
    that is later; then moved as Rules r.12(2) and r.12(3)(a) say.
    """
    last_day = add_months(decision_sent, APPEAL_MONTHS_AFTER_DECISION)
    if certificate_issued is not None:
        from_certificate = add_months(
            certificate_issued, APPEAL_MONTHS_FROM_CERTIFICATE
        )
        last_day = max(last_day, from_certificate)
    return tribunal_deadline(last_day)


def adviser_contact_deadline(decision_sent: date) -> date:
    """Last day to contact the mediation adviser.

    Regs reg 33: within 2 months after written notice of the LA's decision was
    sent. This is not a Tribunal time limit, so Rules r.12 does not move it.
    If it falls on a non-working day the helpline gives the previous working
    day instead: it never states a date later than the law allows.
    """
    return previous_working_day(add_months(decision_sent, ADVISER_CONTACT_MONTHS))


def certificate_without_mediation_due(told_adviser: date) -> date:
    """When the certificate is due if the person does not want mediation.

    Regs reg 34 [check]: within 3 working days of telling the adviser.
    """
    return add_working_days(told_adviser, CERTIFICATE_WITHOUT_MEDIATION_WORKING_DAYS)


def mediation_arranged_by(told_wants_mediation: date) -> date:
    """When the LA (or ICB for health-only issues) must have arranged mediation.

    Guide; Regs [check]: within 30 days of being told the person wants it
    (calendar days, not moved for weekends or holidays).
    """
    return told_wants_mediation + timedelta(days=MEDIATION_ARRANGED_DAYS)


def certificate_if_not_arranged_due(told_adviser: date) -> date:
    """When the certificate is due if mediation is not arranged in time.

    [check]: the adviser issues a certificate within 3 working days of being
    told.
    """
    return add_working_days(told_adviser, CERTIFICATE_IF_NOT_ARRANGED_WORKING_DAYS)


def certificate_after_mediation_due(mediation_concluded: date) -> date:
    """When the certificate is due after mediation.

    [check]: within 3 working days of the mediation concluding.
    """
    return add_working_days(
        mediation_concluded, CERTIFICATE_AFTER_MEDIATION_WORKING_DAYS
    )


def latest_mediation_notice(mediation_day: date) -> date:
    """Last day notice of the mediation date and place can be given.

    Code: at least 5 working days' notice, unless the person agrees to less;
    taken as the 5th working day before ``mediation_day``.
    """
    return add_working_days(mediation_day, -MEDIATION_NOTICE_WORKING_DAYS)


def mediation_agreement_due(agreement_day: date) -> date:
    """When the LA must act on a mediation agreement (non-appealable issues).

    Regs reg 42: within 2 weeks (14 calendar days) of the date of the
    agreement, unless the parties agree another timescale in writing.
    """
    return agreement_day + timedelta(days=MEDIATION_AGREEMENT_DAYS)
