"""Who may see which referral and patient: the one access policy, used by every view, API and
export (the PHI boundary).

A user is one of four audiences, the first that applies: the superuser (IT, verified),
the clinic (radiologists and clinic staff), a referring physician, anyone else. What each
audience sees depends on the purpose of the page, as the table `REFERRALS` states:
"own" is the referrals the user made, "submitted" those that left draft.

One object that is not visible answers 404, never 403, so that its existence is not
revealed. Roles (may this user open this kind of page at all: 403) are checked by the views.
"""

from enum import StrEnum

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.roles import Role, has_role

from .models import Patient, Referral


class Purpose(StrEnum):
    """What the referral is read for."""

    RECORD = "record"  # the referring physician's patients, referrals and intake
    SUMMARY = "summary"  # the printed summary and its PDFs
    OUTCOMES = "outcomes"  # the procedure and follow-up records
    EXPORT = "export"  # the FHIR export


class Audience(StrEnum):
    SUPERUSER = "superuser"
    CLINIC = "clinic"
    PHYSICIAN = "physician"
    OTHER = "other"


class Sees(StrEnum):
    ALL = "all"
    SUBMITTED = "submitted"
    OWN_OR_SUBMITTED = "own or submitted"
    OWN = "own"
    NONE = "none"


# The policy. Differences between rows are deliberate: a draft is its physician's own work, so
# the summary (made from a decision) never shows one, not even to the superuser; outcomes exist
# only for accepted referrals, whatever the clinic row says.
REFERRALS: dict[Purpose, dict[Audience, Sees]] = {
    Purpose.RECORD: {
        Audience.SUPERUSER: Sees.ALL,
        Audience.CLINIC: Sees.OWN,
        Audience.PHYSICIAN: Sees.OWN,
        Audience.OTHER: Sees.OWN,
    },
    Purpose.SUMMARY: {
        Audience.SUPERUSER: Sees.SUBMITTED,
        Audience.CLINIC: Sees.SUBMITTED,
        Audience.PHYSICIAN: Sees.OWN,
        Audience.OTHER: Sees.NONE,
    },
    Purpose.OUTCOMES: {
        Audience.SUPERUSER: Sees.ALL,
        Audience.CLINIC: Sees.ALL,
        Audience.PHYSICIAN: Sees.OWN,
        Audience.OTHER: Sees.NONE,
    },
    Purpose.EXPORT: {
        Audience.SUPERUSER: Sees.ALL,
        Audience.CLINIC: Sees.OWN_OR_SUBMITTED,
        Audience.PHYSICIAN: Sees.OWN,
        Audience.OTHER: Sees.NONE,
    },
}


def audience(user) -> Audience:
    """The user's audience: the first of superuser, clinic, physician that applies, else other."""
    if getattr(user, "is_superuser", False):
        return Audience.SUPERUSER
    if has_role(user, Role.RADIOLOGIST, Role.STAFF):
        return Audience.CLINIC
    if has_role(user, Role.PHYSICIAN):
        return Audience.PHYSICIAN
    return Audience.OTHER


def _sees(user, purpose: Purpose) -> Sees:
    row = REFERRALS[Purpose(purpose)]
    if getattr(user, "is_superuser", False):
        return row[Audience.SUPERUSER]
    others = {row[Audience.CLINIC], row[Audience.PHYSICIAN], row[Audience.OTHER]}
    if len(others) == 1:
        return others.pop()  # the same for every role: no need to read the user's groups
    return row[audience(user)]


def referrals_visible_to(user, *, purpose: Purpose) -> QuerySet[Referral]:
    """The referrals the user may see for this purpose."""
    referrals = Referral.objects.all()
    submitted = ~Q(status=Referral.Status.DRAFT)
    match _sees(user, purpose):
        case Sees.ALL:
            return referrals
        case Sees.SUBMITTED:
            return referrals.filter(submitted)
        case Sees.OWN_OR_SUBMITTED:
            return referrals.filter(Q(physician=user) | submitted)
        case Sees.OWN:
            return referrals.filter(physician=user) if user.is_authenticated else referrals.none()
        case _:
            return referrals.none()


def referral_for(
    user,
    pk: int,
    *,
    purpose: Purpose,
    related: tuple[str, ...] = ("patient",),
    prefetch: tuple[str, ...] = (),
) -> Referral:
    """The referral if the user may see it for this purpose, with `related` and `prefetch`
    loaded; Http404 otherwise (existence not revealed)."""
    referrals = referrals_visible_to(user, purpose=purpose).select_related(*related)
    return get_object_or_404(referrals.prefetch_related(*prefetch), pk=pk)


def patients_visible_to(user, *, purpose: Purpose = Purpose.RECORD) -> QuerySet[Patient]:
    """The patients of the referrals the user may see for this purpose; for the physician's
    record also the patients they registered."""
    purpose = Purpose(purpose)
    patients = Patient.objects.all()
    if _sees(user, purpose) is Sees.ALL:
        return patients
    # A union of two indexed lookups: `created_by = me OR EXISTS(referred by me)` scanned
    # every patient (docs/performance.md, item 3).
    referred = referrals_visible_to(user, purpose=purpose).order_by().values("patient_id")
    if purpose is Purpose.RECORD and user.is_authenticated:
        registered = Patient.objects.filter(created_by=user).order_by().values("pk")
        return patients.filter(pk__in=registered.union(referred))
    return patients.filter(pk__in=referred)


def patient_for(user, pk: int, *, purpose: Purpose = Purpose.RECORD) -> Patient:
    """The patient if the user may see it for this purpose; Http404 otherwise.

    The rule of `patients_visible_to`, checked on the one row: a physician's own registration
    needs no second query, a patient they only referred needs one.
    """
    purpose = Purpose(purpose)
    try:
        patient = Patient.objects.get(pk=pk)
    except Patient.DoesNotExist:
        patient = None
    if patient is not None and (
        _sees(user, purpose) is Sees.ALL
        or (purpose is Purpose.RECORD and patient.created_by_id == user.pk)
        or referrals_visible_to(user, purpose=purpose).filter(patient_id=pk).exists()
    ):
        return patient
    raise Http404("No Patient matches the given query.")


def may_edit_identification(*, user, patient: Patient) -> bool:
    """Only the physician who registered the patient, or the superuser, changes the name, MRN
    and birth date: another physician who sees the patient may not rewrite who it is."""
    return audience(user) is Audience.SUPERUSER or patient.created_by_id == user.pk
