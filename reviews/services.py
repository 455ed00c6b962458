"""Writes of the review app: claiming a referral, deciding, countersigning, notifying.

Every service locks the referral row (`select_for_update`) so concurrent radiologists are
serialised, bumps `Referral.version`, and writes its notifications to the outbox in the same
transaction.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from accounts.mixins import require_clinician
from accounts.roles import Role
from eligibility.models import Evaluation
from patients.models import Referral

from .assessment import assess_decision, level_recommendations
from .attachments import CheckedFile
from .models import (
    Countersignature,
    CountersignatureRefusal,
    InformationAttachment,
    InformationReply,
    NotificationKind,
    ReasonCode,
    ReviewDecision,
)
from .outbox import outbox_enqueue
from .selectors import override_table_forget
from .signals import decision_countersigned, decision_recorded

REFERRAL_CHANGED = _("This referral changed since you opened it.")
REFERRAL_NOT_WAITING = _("This referral is not waiting for a review.")
REFERRAL_CLAIMED_BY_OTHER = _("Another radiologist is already reviewing this referral.")
REFERRAL_NOT_EVALUATED = _("This referral has no evaluation to decide on.")
DECISION_PENDING = _(
    "A decision on this referral is waiting for a countersignature: countersign or correct it."
)
CORRECTION_NOT_CURRENT = _("Only the referral's current decision can be corrected.")
CORRECTION_TOO_LATE = _("This decision can no longer be corrected: the referral was resubmitted.")
LEVELS_REQUIRED = _("Choose at least one level to treat.")
LEVEL_UNKNOWN = _("{level} is not a target level of this referral.")
LEVELS_ONLY_FOR_ACCEPT = _("Levels to treat go with an acceptance only.")
REASON_REQUIRED = _("Choose a reason.")
REASON_NOT_FOR_OUTCOME = _("This reason does not go with this decision.")
REASON_ONLY_FOR_DECLINE_OR_INFORMATION = _(
    "A reason goes with a decline or an information request."
)
OVERRIDE_REASON_REQUIRED = _("This decision disagrees with the engine: choose an override reason.")
OVERRIDE_COMMENT_REQUIRED = _("This decision disagrees with the engine: explain it in a comment.")
OVERRIDE_REASON_NOT_NEEDED = _("This decision agrees with the engine: it takes no override reason.")
NOTHING_TO_COUNTERSIGN = _("This decision does not need a countersignature.")
ALREADY_COUNTERSIGNED = _("This decision is already countersigned.")
CANNOT_COUNTERSIGN_OWN = _("You cannot countersign your own decision.")
COUNTERSIGNATURE_REFUSED = _(
    "A second radiologist refused to countersign this decision: "
    "the deciding radiologist records a correction."
)
REFUSAL_REASON_REQUIRED = _("Say why you refuse: the deciding radiologist reads this.")
NO_OPEN_REQUEST = _(
    "No information request is waiting for your answer on this referral: it was resubmitted "
    "or decided."
)
NOT_YOUR_REFERRAL = _("Only the referring physician answers an information request.")

REASON_KIND_BY_OUTCOME: dict[str, str] = {
    ReviewDecision.Outcome.DECLINE: ReasonCode.Kind.DECLINE,
    ReviewDecision.Outcome.REQUEST_INFORMATION: ReasonCode.Kind.INFORMATION,
}
WAITING = frozenset({Referral.Status.SUBMITTED, Referral.Status.UNDER_REVIEW})
DECIDED = frozenset(
    {
        Referral.Status.ACCEPTED,
        Referral.Status.DECLINED,
        Referral.Status.INFORMATION_REQUESTED,
    }
)


class ReviewError(Exception):
    """A review action that the referral's current state does not allow."""

    def __init__(self, message: "str | StrPromise"):
        super().__init__(message)
        self.message = str(message)


class StaleReferral(ReviewError):
    """The referral changed after the radiologist opened it; nothing was saved."""


def _lock(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


def _bump(referral: Referral, *fields: str, by) -> None:
    referral.version += 1
    referral._history_user = by  # simple_history: who changed it, also outside a request
    referral.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def referral_claim(*, referral: Referral, by) -> Referral:
    """Assign a waiting referral to the radiologist ("Start review"): status under review.

    Raises ReviewError when another radiologist holds it or it is not waiting for review;
    claiming one's own referral again changes nothing.
    """
    require_clinician(by, Role.RADIOLOGIST)
    referral = _lock(referral)
    if referral.status not in WAITING:
        raise ReviewError(REFERRAL_NOT_WAITING)
    if referral.assigned_radiologist_id not in (None, by.pk):
        raise ReviewError(REFERRAL_CLAIMED_BY_OTHER)
    if referral.status == Referral.Status.UNDER_REVIEW:
        return referral
    referral.status = Referral.Status.UNDER_REVIEW
    referral.assigned_radiologist = by
    _bump(referral, "status", "assigned_radiologist", by=by)
    return referral


def decision_problems(
    *,
    result: dict,
    outcome: str,
    levels_to_treat: Iterable[str],
    reason_code: ReasonCode | None,
    comment: str,
    override_reason: ReasonCode | None,
) -> dict[str, list[str | StrPromise]]:
    """Field errors of a decision against the evaluation result ({} when it may be recorded)."""
    levels_to_treat = list(levels_to_treat)
    problems: dict[str, list[str | StrPromise]] = {}

    def add(name: str, message: str | StrPromise) -> None:
        problems.setdefault(name, []).append(message)

    known = level_recommendations(result)
    if outcome == ReviewDecision.Outcome.ACCEPT:
        if not levels_to_treat:
            add("levels_to_treat", LEVELS_REQUIRED)
        for level in levels_to_treat:
            if level not in known:
                add("levels_to_treat", LEVEL_UNKNOWN.format(level=level))
        if reason_code is not None:
            add("reason_code", REASON_ONLY_FOR_DECLINE_OR_INFORMATION)
    else:
        if levels_to_treat:
            add("levels_to_treat", LEVELS_ONLY_FOR_ACCEPT)
        if reason_code is None:
            add("reason_code", REASON_REQUIRED)
        elif not reason_code.active or reason_code.kind != REASON_KIND_BY_OUTCOME.get(outcome):
            add("reason_code", REASON_NOT_FOR_OUTCOME)
    assessment = assess_decision(result=result, outcome=outcome, levels_to_treat=levels_to_treat)
    if assessment.is_override:
        if override_reason is None:
            add("override_reason", OVERRIDE_REASON_REQUIRED)
        elif not override_reason.active or override_reason.kind != ReasonCode.Kind.OVERRIDE:
            add("override_reason", REASON_NOT_FOR_OUTCOME)
        if not comment.strip():
            add("comment", OVERRIDE_COMMENT_REQUIRED)
    elif override_reason is not None:
        add("override_reason", OVERRIDE_REASON_NOT_NEEDED)
    return problems


def correctable(referral: Referral, current: ReviewDecision | None) -> bool:
    """True when the current decision still stands and may be corrected."""
    if current is None:
        return False
    return referral.status in DECIDED or current.pending_countersignature


def _check_can_decide(
    referral: Referral, *, by, current: ReviewDecision | None, supersedes: ReviewDecision | None
) -> None:
    if supersedes is not None:
        if current is None or supersedes.pk != current.pk:
            raise ReviewError(CORRECTION_NOT_CURRENT)
        if not correctable(referral, current):
            raise ReviewError(CORRECTION_TOO_LATE)
        return
    if referral.status not in WAITING:
        raise ReviewError(REFERRAL_NOT_WAITING)
    if referral.assigned_radiologist_id not in (None, by.pk):
        raise ReviewError(REFERRAL_CLAIMED_BY_OTHER)
    if current is not None and current.countersignature_refused:
        raise ReviewError(COUNTERSIGNATURE_REFUSED)
    if current is not None and current.pending_countersignature:
        raise ReviewError(DECISION_PENDING)


def _status_after(decision: ReviewDecision) -> str:
    if decision.outcome == ReviewDecision.Outcome.DECLINE:
        return Referral.Status.DECLINED
    if decision.outcome == ReviewDecision.Outcome.REQUEST_INFORMATION:
        return Referral.Status.INFORMATION_REQUESTED
    if decision.requires_countersignature:
        return Referral.Status.UNDER_REVIEW
    return Referral.Status.ACCEPTED


def _notify_decision(decision: ReviewDecision) -> None:
    if decision.requires_countersignature:
        kind = NotificationKind.COUNTERSIGNATURE_NEEDED
    elif decision.outcome == ReviewDecision.Outcome.REQUEST_INFORMATION:
        kind = NotificationKind.INFORMATION_REQUESTED
    else:
        kind = NotificationKind.DECISION_RECORDED
    outbox_enqueue(kind=kind, payload={"decision_id": decision.pk})


def _latest_evaluation(given: Referral, *, locked: Referral) -> Evaluation:
    """The locked referral's latest evaluation; the one the caller loaded with the referral
    when it is the same (evaluations are immutable), else read."""
    if (
        Referral.latest_evaluation.is_cached(given)
        and given.latest_evaluation is not None
        and given.latest_evaluation_id == locked.latest_evaluation_id
    ):
        return given.latest_evaluation
    return Evaluation.objects.get(pk=locked.latest_evaluation_id)


@transaction.atomic
def decision_record(
    *,
    referral: Referral,
    by,
    expected_version: int,
    outcome: str,
    levels_to_treat: Iterable[str] = (),
    reason_code: ReasonCode | None = None,
    comment: str = "",
    override_reason: ReasonCode | None = None,
    supersedes: ReviewDecision | None = None,
) -> ReviewDecision:
    """Record a signed decision on the referral's latest evaluation and move the referral on.

    Raises StaleReferral when the referral's version is not `expected_version`, ReviewError
    when its state does not allow the decision, and ValidationError (by field) for bad input;
    in each case nothing is saved. An override of an absolute contraindication leaves the
    referral under review until another radiologist countersigns.
    """
    require_clinician(by, Role.RADIOLOGIST)
    given = referral
    referral = _lock(referral)
    if referral.version != expected_version:
        raise StaleReferral(REFERRAL_CHANGED)
    current = (
        ReviewDecision.objects.current()
        .filter(referral=referral)
        .select_related("countersignature", "countersignature_refusal")
        .first()
    )
    _check_can_decide(referral, by=by, current=current, supersedes=supersedes)
    if referral.latest_evaluation_id is None:
        raise ReviewError(REFERRAL_NOT_EVALUATED)
    evaluation = _latest_evaluation(given, locked=referral)
    levels_to_treat = list(levels_to_treat)
    problems = decision_problems(
        result=evaluation.result,
        outcome=outcome,
        levels_to_treat=levels_to_treat,
        reason_code=reason_code,
        comment=comment,
        override_reason=override_reason,
    )
    if problems:
        raise ValidationError(problems)
    assessment = assess_decision(
        result=evaluation.result, outcome=outcome, levels_to_treat=levels_to_treat
    )
    # Keep the referral's level order, whatever order the form sent.
    ordered_levels = [
        lvl for lvl in level_recommendations(evaluation.result) if lvl in levels_to_treat
    ]
    decision = ReviewDecision.objects.create(
        referral=referral,
        evaluation=evaluation,
        referral_version=referral.version,
        outcome=outcome,
        levels_to_treat=ordered_levels,
        reason_code=reason_code,
        reason_label=reason_code.label if reason_code else "",
        comment=comment.strip(),
        is_override=assessment.is_override,
        override_reason=override_reason,
        override_reason_label=override_reason.label if override_reason else "",
        engine_recommendation=evaluation.recommendation,
        engine_level_recommendations=level_recommendations(evaluation.result),
        overridden_rules=assessment.overridden_rules,
        requires_countersignature=assessment.requires_countersignature,
        supersedes=supersedes,
        decided_by=by,
    )
    referral.status = _status_after(decision)
    if referral.assigned_radiologist_id is None:
        referral.assigned_radiologist = by
    _bump(referral, "status", "assigned_radiologist", by=by)
    _notify_decision(decision)
    override_table_forget()  # the worklist's override table counts current decisions
    decision_recorded.send(sender=ReviewDecision, decision=decision)
    return decision


@transaction.atomic
def decision_countersign(*, decision: ReviewDecision, by, comment: str = "") -> Countersignature:
    """A second radiologist countersigns an override of an absolute contraindication.

    The decision then takes effect: the referral is accepted and the referrer notified.
    Raises ReviewError for one's own decision, a decision that needs no countersignature, one
    already countersigned, and one a later decision corrects.
    """
    require_clinician(by, Role.RADIOLOGIST)
    referral, decision = _countersignable(decision, by=by)
    countersignature = Countersignature.objects.create(
        decision=decision, signed_by=by, comment=comment.strip()
    )
    referral.status = Referral.Status.ACCEPTED
    _bump(referral, "status", by=by)
    outbox_enqueue(kind=NotificationKind.DECISION_RECORDED, payload={"decision_id": decision.pk})
    decision_countersigned.send(sender=ReviewDecision, decision=decision)
    return countersignature


def _countersignable(decision: ReviewDecision, *, by) -> tuple[Referral, ReviewDecision]:
    """The locked referral and the decision read again, when `by` may countersign or refuse it;
    else ReviewError."""
    referral = _lock(decision.referral)
    decision = ReviewDecision.objects.select_related(
        "countersignature", "countersignature_refusal"
    ).get(pk=decision.pk)
    if not decision.requires_countersignature:
        raise ReviewError(NOTHING_TO_COUNTERSIGN)
    if decision.is_countersigned:
        raise ReviewError(ALREADY_COUNTERSIGNED)
    if decision.countersignature_refused:
        raise ReviewError(COUNTERSIGNATURE_REFUSED)
    if decision.corrections.exists():
        raise ReviewError(CORRECTION_NOT_CURRENT)
    if decision.decided_by_id == by.pk:
        raise ReviewError(CANNOT_COUNTERSIGN_OWN)
    return referral, decision


@transaction.atomic
def decision_countersign_refuse(
    *, decision: ReviewDecision, by, reason: str
) -> CountersignatureRefusal:
    """A second radiologist refuses to countersign an override, saying why.

    The decision never takes effect; the referral stays under review, assigned back to the
    deciding radiologist, who is notified and records a correction. Raises ValidationError
    without a reason and ReviewError as decision_countersign does.
    """
    require_clinician(by, Role.RADIOLOGIST)
    if not reason.strip():
        raise ValidationError({"reason": REFUSAL_REASON_REQUIRED})
    referral, decision = _countersignable(decision, by=by)
    refusal = CountersignatureRefusal.objects.create(
        decision=decision, refused_by=by, reason=reason.strip()
    )
    referral.assigned_radiologist_id = decision.decided_by_id
    _bump(referral, "assigned_radiologist", by=by)
    outbox_enqueue(
        kind=NotificationKind.COUNTERSIGNATURE_REFUSED, payload={"decision_id": decision.pk}
    )
    return refusal


def submission_notify(*, referral: Referral, resubmitted: bool) -> None:
    """Queue the radiologists' notification of a (re)submitted referral (call inside the
    submitting transaction)."""
    kind = (
        NotificationKind.REFERRAL_RESUBMITTED
        if resubmitted
        else NotificationKind.REFERRAL_SUBMITTED
    )
    outbox_enqueue(kind=kind, payload={"referral_id": referral.pk})


@transaction.atomic
def information_reply_create(
    *, referral: Referral, by, text: str, files: Iterable[CheckedFile] = ()
) -> InformationReply:
    """The referring physician answers the open information request in words and/or files.

    The files are stored in private storage (STORAGES["attachments"]); the referral's status
    does not change: resubmitting it sends it back to the radiologist. Raises ReviewError when
    no request waits for this physician's answer; nothing is saved then, and a failure while
    storing removes the files stored so far.
    """
    require_clinician(by, Role.PHYSICIAN)
    referral = _lock(referral)
    if referral.physician_id != by.pk:
        raise ReviewError(str(NOT_YOUR_REFERRAL))
    request = (
        ReviewDecision.objects.current()
        .filter(referral=referral, outcome=ReviewDecision.Outcome.REQUEST_INFORMATION)
        .first()
    )
    if referral.status != Referral.Status.INFORMATION_REQUESTED or request is None:
        raise ReviewError(str(NO_OPEN_REQUEST))
    reply = InformationReply.objects.create(
        referral=referral, request=request, text=text.strip(), written_by=by
    )
    stored: list[InformationAttachment] = []
    try:
        for checked in files:
            attachment = InformationAttachment(
                reply=reply,
                original_name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
            )
            attachment.file.save(checked.name, checked.upload, save=False)
            stored.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return reply
