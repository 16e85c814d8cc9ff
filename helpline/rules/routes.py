"""Which route fits a caller's disagreement: RULES.md sections 1 and 2.

Pure functions, no I/O: a `Situation` in, an `Advice` out. Every branch names
its source; the words the caller reads live in prompts/, keyed by the step and
note names used here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from helpline.rules import deadlines


class Capacity(StrEnum):
    PARENT = "parent"
    YOUNG_PERSON = "young_person"
    ACTING_FOR_YOUNG_PERSON = "acting_for_young_person"
    SCHOOL = "school"
    SOMEONE_ELSE = "someone_else"


class Dispute(StrEnum):
    SEN_SUPPORT = "sen_support"
    ASSESSMENT_REFUSED = "assessment_refused"
    PLAN_REFUSED = "plan_refused"
    PLAN_CONTENTS = "plan_contents"
    CEASING_PLAN = "ceasing_plan"
    HEALTH_SOCIAL_CARE = "health_social_care"
    PLACEMENT_ONLY = "placement_only"
    NOT_SURE = "not_sure"


class Route(StrEnum):
    RESOLVED = "resolved"
    DISAGREEMENT_RESOLUTION = "disagreement_resolution"
    MEDIATION = "mediation"
    CERTIFICATE_APPEAL = "certificate_appeal"
    PLACEMENT_APPEAL = "placement_appeal"
    GET_ADVICE = "get_advice"


# Guide, table "What Can Be Resolved?": the rows where mediation applies, so the
# mediation adviser must be contacted before an appeal (CFA s.55).
MEDIATION_DISPUTES = frozenset(
    {
        Dispute.ASSESSMENT_REFUSED,
        Dispute.PLAN_REFUSED,
        Dispute.PLAN_CONTENTS,
        Dispute.CEASING_PLAN,
        Dispute.HEALTH_SOCIAL_CARE,
    }
)


@dataclass(frozen=True)
class Situation:
    """What the caller told us; None where the flow did not need to ask."""

    capacity: Capacity
    today: date
    dispute: Dispute | None = None
    decision_date: date | None = None
    contacted_adviser: bool | None = None
    has_certificate: bool | None = None
    certificate_date: date | None = None
    wants_mediation: bool | None = None  # None: not sure, or not asked
    told_adviser_date: date | None = None  # told after the summary, by SMS
    mediation_date: date | None = None
    resolved: bool = False


@dataclass(frozen=True)
class Step:
    """One thing to do; `due` is the last day, or None where no date is known."""

    key: str
    source: str
    due: date | None = None


@dataclass(frozen=True)
class Advice:
    route: Route
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default=())
    sources: tuple[str, ...] = field(default=())


def advise(situation: Situation) -> Advice:
    """The route, the caller's own next steps and dates, and the notes that fit them."""
    if situation.resolved:
        # The caller told us it is sorted: nothing left to do or remind about.
        return Advice(Route.RESOLVED, ())
    if situation.capacity is Capacity.SCHOOL:
        return _school()
    advice = _route_for(situation)
    notes = advice.notes + _capacity_notes(situation.capacity)
    return Advice(advice.route, advice.steps, notes, advice.sources)


def _school() -> Advice:
    """RULES.md s.2: schools and early years settings in dispute with an LA may use
    disagreement resolution in some cases; they have no mediation or appeal route."""
    return Advice(
        Route.DISAGREEMENT_RESOLUTION,
        (Step("school_disagreement_resolution", "Guide, Who Can Use These Services?"),),
        ("school_no_appeal",),
        ("Guide, Who Can Use These Services?", "RULES.md s.2"),
    )


def _route_for(s: Situation) -> Advice:
    if s.dispute is Dispute.SEN_SUPPORT:
        # Guide table row 1: disagreement resolution yes, mediation not applicable,
        # because there is no appeal right for SEN support without a plan.
        return Advice(
            Route.DISAGREEMENT_RESOLUTION,
            (Step("disagreement_resolution", "Guide, What Can Be Resolved?"),),
            ("sen_support_no_appeal", "disagreement_resolution_any_time"),
            ("Guide, What Can Be Resolved?", "CFA s.57"),
        )
    if s.dispute is Dispute.PLACEMENT_ONLY:
        return _placement_appeal(s)
    if s.dispute in MEDIATION_DISPUTES:
        return _mediation_route(s)
    # Something else or not sure: disagreement resolution can be used at any time
    # (Guide; CFA s.57); disability discrimination claims have no mediation
    # requirement and go to IPSEA/SENDIASS (RULES.md s.1, secondary [check]).
    return Advice(
        Route.GET_ADVICE,
        (Step("get_advice", "RULES.md s.6"),),
        ("disagreement_resolution_any_time", "discrimination_claims"),
        ("Guide, Support and Resources", "CFA s.57", "RULES.md s.1 [check]"),
    )


def _placement_appeal(s: Situation) -> Advice:
    """An appeal only about the school, college or placement in Section I needs no
    certificate (Guide; CFA s.51(2)(c) [check]); mediation is still allowed."""
    appeal = _appeal_step(s.decision_date, None)
    return Advice(
        Route.PLACEMENT_APPEAL,
        (appeal,),
        ("placement_no_certificate", "mediation_optional"),
        ("Guide, Mediation and the SEND Tribunal", "CFA s.51(2)(c) [check]", "Rules r.20(1)(c)"),
    )


def _mediation_route(s: Situation) -> Advice:
    """CFA s.55: before appealing about a mediation row, contact a mediation adviser
    and get a certificate, whether or not mediation follows."""
    notes: list[str] = []
    if s.dispute is Dispute.HEALTH_SOCIAL_CARE:
        notes.append("health_social_care")  # Guide table; RULES.md s.1 [check]
    steps: list[Step] = []
    if not s.contacted_adviser and s.told_adviser_date is None:
        steps.append(_adviser_step(s.decision_date))
    if s.has_certificate:
        steps.append(_appeal_step(s.decision_date, s.certificate_date))
        return Advice(
            Route.CERTIFICATE_APPEAL,
            tuple(steps),
            tuple(notes),
            ("CFA s.55", "Rules r.20(1)(c)"),
        )
    if s.wants_mediation is False:
        told = s.told_adviser_date
        due = deadlines.certificate_without_mediation_due(told) if told else None
        steps.append(Step("ask_for_certificate", "Regs reg 34 [check]", due))
        steps.append(_appeal_step(s.decision_date, None))
        return Advice(
            Route.CERTIFICATE_APPEAL,
            tuple(steps),
            tuple(notes),
            ("CFA s.55", "Regs reg 34 [check]", "Rules r.20(1)(c)"),
        )
    steps += _mediation_steps(s)
    steps.append(_appeal_step(s.decision_date, None))
    notes += ["mediation_voluntary", "no_agreement_still_appeal"]
    return Advice(
        Route.MEDIATION,
        tuple(steps),
        tuple(notes),
        ("CFA s.55", "Guide, Things to Remember", "Rules r.20(1)(c)"),
    )


def _mediation_steps(s: Situation) -> list[Step]:
    """Once mediation is booked its date drives the certificate's; before that,
    the 30 days run from telling the adviser (Guide; Regs [check])."""
    if s.mediation_date:
        return [
            Step("mediation_on", "Code 11 (5 working days' notice)", s.mediation_date),
            Step(
                "certificate_after_mediation",
                "RULES.md s.3 [check]",
                deadlines.certificate_after_mediation_due(s.mediation_date),
            ),
        ]
    told = s.told_adviser_date if s.wants_mediation else None
    arranged = deadlines.mediation_arranged_by(told) if told else None
    return [
        Step("mediation_arranged", "Guide, Mediation and the SEND Tribunal; Regs [check]", arranged),
        Step("certificate_after_mediation", "RULES.md s.3 [check]"),
    ]


def _adviser_step(decision_date: date | None) -> Step:
    """Regs reg 33: contact the adviser within 2 months of the decision notice."""
    due = deadlines.adviser_contact_deadline(decision_date) if decision_date else None
    return Step("contact_adviser", "Regs reg 33", due)


def _appeal_step(decision_date: date | None, certificate_date: date | None) -> Step:
    """Rules r.20(1)(c): the appeal must be received by this date (counted per r.12)."""
    if decision_date is None and certificate_date is not None:
        # Without the decision date only the certificate limb is known; the real
        # deadline is the later of the two, so this date is never too late.
        due = deadlines.tribunal_deadline(deadlines.add_months(certificate_date, 1))
        return Step("appeal_with_certificate", "Rules r.20(1)(c); r.12", due)
    if decision_date is None:
        return Step("appeal", "Rules r.20(1)(c)")
    due = deadlines.appeal_deadline(decision_date, certificate_date)
    key = "appeal_with_certificate" if certificate_date else "appeal"
    return Step(key, "Rules r.20(1)(c); r.12", due)


def _capacity_notes(capacity: Capacity) -> tuple[str, ...]:
    if capacity is Capacity.YOUNG_PERSON:
        # Guide, Mediation and Mental Capacity: presumed to decide for themselves,
        # and may ask a parent, advocate or representative for support.
        return ("young_person_support",)
    if capacity is Capacity.ACTING_FOR_YOUNG_PERSON:
        # CFA s.80; Regs reg 64 and Schedule 3: the "alternative person" decides
        # in the young person's best interests.
        return ("alternative_person",)
    if capacity is Capacity.SOMEONE_ELSE:
        # Guide, Who Can Use These Services?: parents, carers and young people.
        return ("someone_else",)
    return ()
