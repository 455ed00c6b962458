"""Writes of the EHR connection: CDS advice and feedback, and referrals from CDS launches."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEvent
from audit.services import audit_record
from patients.cases import case_referral_answers
from patients.models import Patient, Referral
from patients.services import (
    LevelAnswers,
    PatientConflictError,
    default_clinic,
    patient_create,
    referral_save_draft,
)

from .cds import SERVICE_ID, Advice
from .cds_models import FeedbackItem
from .models import CdsEvaluation, CdsFeedback, CdsLaunch

# A card's link works this long; the EHR calls again when the clinician comes back later.
LAUNCH_LIFETIME = timedelta(hours=24)

UNKNOWN_CARD = "No card with this uuid was issued by this service."
LAUNCH_EXPIRED = (
    "This link from your EHR has expired. Open the order again in the EHR to get a new one."
)
LAUNCH_PATIENT_INCOMPLETE = (
    "The EHR did not send the patient's medical record number, name, date of birth and sex, "
    "so VPSelect cannot register the patient. Register the patient in VPSelect and start the "
    "referral there."
)
LAUNCH_PATIENT_MISMATCH = (
    "A patient with this medical record number is already registered in VPSelect with a "
    "different name or date of birth. Check the patient's record before referring; no "
    "referral was created."
)
# Said when the MRN is another physician's patient, whatever the names say: the launch never
# shares a patient, and the message does not tell whether the details matched.
LAUNCH_PATIENT_NOT_SHARED = (
    "VPSelect cannot open a referral for this patient from your EHR link. If a colleague "
    "already follows this patient in VPSelect, ask an administrator to give you access to the "
    "patient's record; no referral was created."
)
LAUNCH_PATIENT_INVALID = (
    "The patient details the EHR sent do not fit VPSelect's patient record (for example a "
    "name or record number that is too long). Register the patient in VPSelect and start the "
    "referral there."
)
LAUNCH_ANSWERS_INVALID = (
    "The answers the EHR sent could not be stored as a referral. Start the referral in VPSelect."
)


class FeedbackError(Exception):
    """A feedback item names no card of this service (answer 404; nothing is stored)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class LaunchProblem(Exception):
    """A launch cannot become a referral; `status` is the HTTP status to answer with.

    `refused_mrn` is set when the MRN belongs to another physician's patient (to audit).
    """

    def __init__(self, message: str, status: int, *, refused_mrn: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.refused_mrn = refused_mrn


@transaction.atomic
def cds_advice_record(
    *, advice: list[Advice], hook: str, hook_instance: str, evaluated_on, now: datetime
) -> list[CdsEvaluation]:
    """Store each card's launch and evaluation, all or nothing."""
    launches = CdsLaunch.objects.bulk_create(
        [
            CdsLaunch(
                id=item.launch_id,
                patient=item.patient_details,
                case=item.case,
                created_at=now,
                expires_at=now + LAUNCH_LIFETIME,
            )
            for item in advice
        ]
    )
    return CdsEvaluation.objects.bulk_create(
        [
            CdsEvaluation(
                card_uuid=item.card_uuid,
                service_id=SERVICE_ID,
                hook=hook,
                hook_instance=hook_instance,
                evaluated_on=evaluated_on,
                ruleset_version=item.ruleset_version,
                case=item.case,
                result=item.result,
                recommendation=item.recommendation,
                indicator=item.card.indicator,
                rules=item.rules,
                missing=item.missing,
                ignored=item.ignored,
                card=item.card.to_json(),
                launch=launch,
                created_at=now,
            )
            for item, launch in zip(advice, launches, strict=True)
        ]
    )


def _offered(evaluation: CdsEvaluation, system: str | None, code: str) -> bool:
    return any(
        reason.get("system") == system and reason.get("code") == code
        for reason in evaluation.card.get("overrideReasons", [])
    )


@transaction.atomic
def cds_feedback_record(*, items: list[FeedbackItem]) -> list[CdsFeedback]:
    """Record what clinicians did with cards; FeedbackError (nothing stored) for unknown cards."""
    evaluations = {
        evaluation.card_uuid: evaluation
        for evaluation in CdsEvaluation.objects.filter(card_uuid__in=[i.card for i in items])
    }
    for index, item in enumerate(items):
        if item.card not in evaluations:
            raise FeedbackError(f"feedback[{index}].card", UNKNOWN_CARD)
    feedback = []
    for item in items:
        evaluation = evaluations[item.card]
        reason = item.overrideReason.reason if item.overrideReason else None
        feedback.append(
            CdsFeedback(
                evaluation=evaluation,
                outcome=item.outcome,
                accepted_suggestions=[s.id for s in item.acceptedSuggestions or []],
                reason_system=(reason.system or "") if reason else "",
                reason_code=reason.code if reason else "",
                reason_display=(reason.display or "") if reason else "",
                reason_offered=reason is not None
                and _offered(evaluation, reason.system, reason.code),
                user_comment=(item.overrideReason.userComment or "") if item.overrideReason else "",
                outcome_at=item.outcomeTimestamp,
            )
        )
    return CdsFeedback.objects.bulk_create(feedback)


_PATIENT_DETAILS = ("mrn", "given_name", "family_name", "date_of_birth", "sex")


def _launch_patient(details: dict, *, by) -> Patient:
    if any(not details.get(name) for name in _PATIENT_DETAILS):
        raise LaunchProblem(LAUNCH_PATIENT_INCOMPLETE, 422)
    clinic = default_clinic()
    existing = Patient.objects.filter(clinic=clinic, mrn=details["mrn"]).first()
    if existing is None:
        try:
            return patient_create(
                by=by, clinic=clinic, **{name: details[name] for name in _PATIENT_DETAILS}
            )
        except ValidationError:
            raise LaunchProblem(LAUNCH_PATIENT_INVALID, 422) from None
        except PatientConflictError:  # registered by someone else at this very moment
            existing = Patient.objects.get(clinic=clinic, mrn=details["mrn"])
    # Another physician's patient: a launch must not give this physician their record.
    if (
        existing.created_by_id != by.pk
        and not Referral.objects.filter(patient=existing, physician=by).exists()
    ):
        raise LaunchProblem(LAUNCH_PATIENT_NOT_SHARED, 409, refused_mrn=details["mrn"])
    # Same record number, different person: never attach a referral to the wrong patient.
    if (
        existing.date_of_birth.isoformat() != details["date_of_birth"]
        or existing.family_name.casefold() != details["family_name"].casefold()
    ):
        raise LaunchProblem(LAUNCH_PATIENT_MISMATCH, 409)
    return existing


@transaction.atomic
def referral_create_from_launch(*, launch_id, by, now: datetime) -> tuple[Referral, bool]:
    """The draft referral of a CDS launch for the physician `by`: (referral, created).

    The first physician to open the link gets a new draft with the mapped answers (the
    patient found by MRN or registered); opening it again leads to the same referral.
    Raises CdsLaunch.DoesNotExist for unknown links or another physician's launch, and
    LaunchProblem when no referral can be made (nothing is saved).
    """
    launch = CdsLaunch.objects.select_for_update().get(pk=launch_id)
    if launch.referral_id is not None:
        if launch.used_by_id != by.pk:
            raise CdsLaunch.DoesNotExist
        return Referral.objects.get(pk=launch.referral_id), False
    if launch.is_expired(now=now):
        raise LaunchProblem(LAUNCH_EXPIRED, 410)
    patient = _launch_patient(launch.patient, by=by)
    referral_answers, level_answers = case_referral_answers(launch.case)
    # The assessment date is the submission date, set when the physician submits.
    referral_answers.pop("assessed_on", None)
    try:
        draft = referral_save_draft(
            patient=patient,
            referral=None,
            by=by,
            answers=referral_answers,
            levels=[LevelAnswers(id=None, answers=answers) for answers in level_answers],
        )
    except ValidationError:
        raise LaunchProblem(LAUNCH_ANSWERS_INVALID, 422) from None
    if draft.not_saved:
        raise LaunchProblem(LAUNCH_ANSWERS_INVALID, 422)
    referral = draft.referral
    launch.referral = referral
    launch.used_by = by
    launch.used_at = now
    launch.save(update_fields=["referral", "used_by", "used_at"])
    return referral, True


@transaction.atomic
def cds_launches_purge(*, now: datetime) -> int:
    """Erase the patient's details and answers of every expired CDS launch; the number erased.

    An expired link no longer makes a referral (and a used one leads to its referral, which
    holds the patient), so the EHR's copy of the MRN, names and answers has no use left.
    The launch row stays (id, dates, referral) for the audit trail.
    """
    expired = CdsLaunch.objects.filter(expires_at__lte=now).exclude(patient={}, case={})
    ids = list(expired.values_list("pk", flat=True))
    if ids:
        CdsLaunch.objects.filter(pk__in=ids).update(patient={}, case={})
        audit_record(
            action=AuditEvent.Action.DELETE,
            username="vpselect-purge",
            details={"cds_launches_purged": [str(pk) for pk in ids]},
        )
    return len(ids)
