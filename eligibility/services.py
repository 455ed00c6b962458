"""Writes of the eligibility app: running the engine on a referral and storing the result."""

from datetime import date

from django.db import transaction

from patients.cases import referral_case
from patients.models import Referral, TargetLevel

from .conf import get_thresholds
from .engine import evaluate
from .models import Evaluation


def referral_evaluate(*, referral: Referral, today: date) -> tuple[dict, dict]:
    """Run the engine on the referral's current answers: (case, result). Stores nothing.

    Raises eligibility.engine.CaseValidationError when the answers are not a valid case.
    """
    case = referral_case(referral, assessed_on=today)
    return case, evaluate(case, today=today, thresholds=get_thresholds())


@transaction.atomic
def evaluation_create(*, referral: Referral, by, today: date) -> Evaluation:
    """Evaluate the referral and store the snapshot, result and ruleset version with it.

    The referral's cached recommendation follows the new evaluation.
    """
    evaluation, fields = evaluation_record(referral=referral, by=by, today=today)
    referral.save(update_fields=[*fields, "updated_at"])
    return evaluation


def evaluation_record(
    *, referral: Referral, by, today: date, levels: list[TargetLevel] | None = None
) -> tuple[Evaluation, list[str]]:
    """Evaluate the referral and store the evaluation; the caller saves the referral.

    The referral's cached recommendation (latest evaluation, recommendation, flagged) is set
    on the instance, not saved: the caller saves it with its own changes, in its transaction,
    and gets the names of the fields set. `levels` are the referral's stored target levels
    in order, when the caller holds them (read from the database otherwise).

    Raises eligibility.engine.CaseValidationError when the answers are not a valid case.
    """
    case = referral_case(referral, levels=levels, assessed_on=today)
    result = evaluate(case, today=today, thresholds=get_thresholds())
    evaluation = Evaluation.objects.create(
        referral=referral,
        referral_version=referral.version,
        ruleset_version=result["ruleset_version"],
        case=case,
        result=result,
        recommendation=result["recommendation"],
        flagged=result["flagged"],
        created_by=by,
    )
    referral.latest_evaluation = evaluation
    referral.recommendation = evaluation.recommendation
    referral.flagged = evaluation.flagged
    return evaluation, ["latest_evaluation", "recommendation", "flagged"]
