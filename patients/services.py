"""Writes to patients and referrals. Views call exactly one of these."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from eligibility.models import Evaluation
from eligibility.services import evaluation_create

from .models import Clinic, Patient, Referral

REFERRAL_NOT_SUBMITTABLE = (
    "Only a draft or a referral with an information request can be submitted."
)


class ReferralStateError(Exception):
    """The referral is not in a state that allows this action."""


def default_clinic() -> Clinic:
    clinic = Clinic.objects.order_by("id").first()
    if clinic is None:
        clinic = Clinic.objects.create(name="VPSelect Spine Clinic", code="main")
    return clinic


@transaction.atomic
def patient_create(*, by, clinic: Clinic | None = None, **fields) -> Patient:
    patient = Patient(clinic=clinic or default_clinic(), created_by=by, **fields)
    patient.full_clean()
    patient.save()
    return patient


@transaction.atomic
def referral_submit(*, referral: Referral, by, today: date | None = None) -> Evaluation:
    """Validate and evaluate the referral in one transaction, then mark it submitted.

    Raises eligibility.engine.CaseValidationError (nothing saved) when the answers are not a
    valid case, and ReferralStateError when the referral cannot be submitted now.
    """
    today = today or timezone.localdate()
    referral = Referral.objects.select_for_update().select_related("patient").get(pk=referral.pk)
    if not referral.is_editable_by_physician:
        raise ReferralStateError(REFERRAL_NOT_SUBMITTABLE)
    evaluation = evaluation_create(referral=referral, by=by, today=today)
    referral.status = Referral.Status.SUBMITTED
    referral.submitted_at = timezone.now()
    referral.version += 1
    referral.save(update_fields=["status", "submitted_at", "version", "updated_at"])
    return evaluation
