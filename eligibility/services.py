"""Writes of the eligibility app: running the engine on a case and storing the result.

The referral's app builds the case from its answers (`patients.cases.referral_case`) and
passes it in: eligibility reads nothing of patients.
"""

from datetime import date

from django.db import transaction

from .conf import get_thresholds
from .engine import evaluate
from .models import Evaluation


@transaction.atomic
def evaluation_create(*, referral, case: dict, by, today: date) -> Evaluation:
    """Evaluate the referral's case and store the snapshot, result and ruleset version with it.

    The referral's cached recommendation follows the new evaluation.
    """
    evaluation, fields = evaluation_record(referral=referral, case=case, by=by, today=today)
    referral.save(update_fields=[*fields, "updated_at"])
    return evaluation


def evaluation_record(*, referral, case: dict, by, today: date) -> tuple[Evaluation, list[str]]:
    """Evaluate the referral's case and store the evaluation; the caller saves the referral.

    The referral's cached recommendation (latest evaluation, recommendation, flagged) is set
    on the instance, not saved: the caller saves it with its own changes, in its transaction,
    and gets the names of the fields set.

    Raises eligibility.engine.CaseValidationError when the answers are not a valid case.
    """
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
