"""Recording a procedure, with its follow-up schedule.

Each write validates first and raises ValidationError by field before saving anything; the
date of "today" is passed in by the caller (the view or task at the edge).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.mixins import require_clinician
from accounts.roles import Role
from patients.models import Referral
from reviews.models import ReviewDecision

from ..models import (
    CEMENT_ML_MAX,
    Admission,
    Anaesthesia,
    FollowUp,
    Guidance,
    LeakageSite,
    NeedleApproach,
    Procedure,
    TreatedLevel,
)
from ..schedule import (
    follow_up_schedule,
    follow_up_state,
)
from .tallies import cohort_tally_add_procedure

REFERRAL_NOT_ACCEPTED = "A procedure can be recorded only for an accepted referral."
PROCEDURE_ALREADY_RECORDED = "A procedure is already recorded for this referral."
DATE_REQUIRED = "Enter the date."
PROCEDURE_DATE_BEFORE_DECISION = (
    "The procedure date cannot be before the decision to treat ({decided_on})."
)
PROCEDURE_DATE_IN_FUTURE = "The procedure date cannot be in the future."
LEVELS_REQUIRED = "Record at least one treated level."
LEVEL_NOT_ACCEPTED = "{level} was not accepted for treatment; the accepted levels are {accepted}."
LEVEL_REPEATED = "{level} is recorded twice."
VOLUME_REQUIRED = "Enter the cement volume of {level}."
VOLUME_NOT_POSITIVE = "The cement volume must be more than 0 ml."
VOLUME_TOO_LARGE = f"The cement volume must be at most {CEMENT_ML_MAX} ml per level."
APPROACH_REQUIRED = "Choose the needle approach of {level}."
CHOICE_INVALID = "Choose one of the options."
COMPLICATION_DETAILS_REQUIRED = "Name the cement leakage site or describe the other complication."
COMPLICATION_DETAILS_WITHOUT_COMPLICATIONS = (
    "“No complications” was chosen: leave the leakage sites and other complication empty."
)
LEAKAGE_SYMPTOMS_REQUIRED = "Say whether the cement leakage caused symptoms."
ANSWER_REQUIRED = "Answer yes or no."


def level_field(level: str, name: str) -> str:
    """The form field (and error key) of one accepted level's answer, e.g. "volume_T12"."""
    return f"{name}_{level}"


@dataclass(frozen=True)
class TreatedLevelInput:
    level: str
    cement_volume_ml: Decimal | None
    approach: str


class Problems(dict):
    """Messages by field name."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


def _decided_on(decision: ReviewDecision) -> date:
    return timezone.localdate(decision.decided_at)


def procedure_problems(
    *,
    decision: ReviewDecision,
    performed_on: date | None,
    levels: Sequence[TreatedLevelInput],
    guidance: str,
    anaesthesia: str,
    admission: str,
    had_complications: bool | None,
    leakage_sites: Sequence[str],
    leakage_symptomatic: bool | None,
    other_complication: str,
    today: date,
) -> dict[str, list[str]]:
    """Field errors of a procedure record ({} when it may be saved)."""
    problems = Problems()
    decided_on = _decided_on(decision)
    if performed_on is None:
        problems.add("performed_on", DATE_REQUIRED)
    elif performed_on < decided_on:
        problems.add(
            "performed_on", PROCEDURE_DATE_BEFORE_DECISION.format(decided_on=decided_on.isoformat())
        )
    elif performed_on > today:
        problems.add("performed_on", PROCEDURE_DATE_IN_FUTURE)
    accepted = list(decision.levels_to_treat)
    if not levels:
        problems.add("levels", LEVELS_REQUIRED)
    seen: set[str] = set()
    for treated in levels:
        if treated.level not in accepted:
            problems.add(
                "levels",
                LEVEL_NOT_ACCEPTED.format(level=treated.level, accepted=", ".join(accepted)),
            )
            continue
        if treated.level in seen:
            problems.add("levels", LEVEL_REPEATED.format(level=treated.level))
        seen.add(treated.level)
        volume_field = level_field(treated.level, "volume")
        if treated.cement_volume_ml is None:
            problems.add(volume_field, VOLUME_REQUIRED.format(level=treated.level))
        elif treated.cement_volume_ml <= 0:
            problems.add(volume_field, VOLUME_NOT_POSITIVE)
        elif treated.cement_volume_ml > CEMENT_ML_MAX:
            problems.add(volume_field, VOLUME_TOO_LARGE)
        if treated.approach not in NeedleApproach.values:
            problems.add(
                level_field(treated.level, "approach"),
                APPROACH_REQUIRED.format(level=treated.level),
            )
    for name, value, choices in (
        ("guidance", guidance, Guidance),
        ("anaesthesia", anaesthesia, Anaesthesia),
        ("admission", admission, Admission),
    ):
        if value not in choices.values:
            problems.add(name, CHOICE_INVALID)
    if any(site not in LeakageSite.values for site in leakage_sites):
        problems.add("leakage_sites", CHOICE_INVALID)
    if had_complications is None:
        problems.add("had_complications", ANSWER_REQUIRED)
    elif had_complications:
        if not leakage_sites and not other_complication.strip():
            problems.add("had_complications", COMPLICATION_DETAILS_REQUIRED)
        if leakage_sites and leakage_symptomatic is None:
            problems.add("leakage_symptomatic", LEAKAGE_SYMPTOMS_REQUIRED)
    elif leakage_sites or other_complication.strip() or leakage_symptomatic is not None:
        problems.add("had_complications", COMPLICATION_DETAILS_WITHOUT_COMPLICATIONS)
    return dict(problems)


def _intake_levels(decision: ReviewDecision, referral: Referral) -> dict[str, dict]:
    """Level answers the decision was made on: the evaluation's case snapshot, then the
    referral's target levels for any level the snapshot lacks."""
    snapshot = {level["level"]: level for level in decision.evaluation.case.get("levels", [])}
    for target in referral.levels.all():
        snapshot.setdefault(
            target.level, {"pain_nrs": target.pain_nrs, "etiology": target.etiology or None}
        )
    return snapshot


def baseline_pain(intake: dict[str, dict], treated_levels: Sequence[str]) -> int | None:
    """The highest intake pain NRS over the treated levels, or None when none is known."""
    values = [
        intake[level]["pain_nrs"]
        for level in treated_levels
        if level in intake and intake[level].get("pain_nrs") is not None
    ]
    return max(values) if values else None


@transaction.atomic
def procedure_record(
    *,
    referral: Referral,
    by,
    performed_on: date | None,
    levels: Sequence[TreatedLevelInput],
    guidance: str,
    anaesthesia: str,
    admission: str,
    had_complications: bool | None,
    leakage_sites: Sequence[str] = (),
    leakage_symptomatic: bool | None = None,
    other_complication: str = "",
    today: date,
) -> Procedure:
    """Record the procedure of an accepted referral and schedule its six follow-ups.

    Raises ValidationError by field (nothing saved) for bad input, for a referral that is not
    accepted (field None) and for one that already has a procedure.
    """
    require_clinician(by, Role.RADIOLOGIST, Role.STAFF)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    decision = (
        ReviewDecision.objects.current()
        .filter(referral=referral)
        .select_related("countersignature", "evaluation")
        .first()
    )
    if (
        referral.status != Referral.Status.ACCEPTED
        or decision is None
        or decision.outcome != ReviewDecision.Outcome.ACCEPT
        or not decision.takes_effect
    ):
        raise ValidationError(REFERRAL_NOT_ACCEPTED)
    if Procedure.objects.filter(referral=referral).exists():
        raise ValidationError(PROCEDURE_ALREADY_RECORDED)
    leakage_sites = list(leakage_sites)
    problems = procedure_problems(
        decision=decision,
        performed_on=performed_on,
        levels=levels,
        guidance=guidance,
        anaesthesia=anaesthesia,
        admission=admission,
        had_complications=had_complications,
        leakage_sites=leakage_sites,
        leakage_symptomatic=leakage_symptomatic,
        other_complication=other_complication,
        today=today,
    )
    if problems:
        raise ValidationError(problems)
    assert performed_on is not None  # noqa: S101 - procedure_problems refuses None
    # Keep the decision's level order, whatever order the form sent.
    accepted_order = list(decision.levels_to_treat)
    ordered = sorted(levels, key=lambda treated: accepted_order.index(treated.level))
    intake = _intake_levels(decision, referral)
    procedure = Procedure.objects.create(
        referral=referral,
        decision=decision,
        performed_on=performed_on,
        guidance=guidance,
        anaesthesia=anaesthesia,
        admission=admission,
        had_complications=bool(had_complications),
        leakage_sites=[site for site in LeakageSite.values if site in leakage_sites],
        leakage_symptomatic=leakage_symptomatic if leakage_sites else None,
        other_complication=other_complication.strip() if had_complications else "",
        baseline_pain_nrs=baseline_pain(intake, [treated.level for treated in ordered]),
        responsible_radiologist_id=referral.assigned_radiologist_id or decision.decided_by_id,
        recorded_by=by,
    )
    for position, treated in enumerate(ordered):
        assert treated.cement_volume_ml is not None  # noqa: S101 - procedure_problems refuses None
        TreatedLevel.objects.create(
            procedure=procedure,
            position=position,
            level=treated.level,
            etiology=intake.get(treated.level, {}).get("etiology") or "",
            cement_volume_ml=treated.cement_volume_ml,
            approach=treated.approach,
        )
    # Recorded late, some follow-ups may already be due: they start in today's state and the
    # person recording sees them at once, so no reminder is sent for them.
    for scheduled in follow_up_schedule(performed_on):
        FollowUp.objects.create(
            procedure=procedure,
            interval=scheduled.interval.key,
            target_date=scheduled.target_date,
            status=follow_up_state(
                interval=scheduled.interval,
                target_date=scheduled.target_date,
                completed=False,
                today=today,
            ).value,
        )
    cohort_tally_add_procedure(procedure)
    return procedure
