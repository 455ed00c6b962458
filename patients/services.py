"""Writes to patients and referrals. Views call exactly one of these."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from eligibility.engine import CaseValidationError, FieldError
from eligibility.models import Evaluation
from eligibility.services import evaluation_record

from .access import may_edit_identification
from .cases import referral_case
from .models import Clinic, Patient, Referral, TargetLevel
from .signals import referral_submitted
from .vocabulary import LEVEL_FIELDS, REFERRAL_FIELDS

REFERRAL_NOT_SUBMITTABLE = _(
    "Only a draft or a referral with an information request can be submitted."
)
REFERRAL_NOT_EDITABLE = _(
    "This referral has been submitted; it can be changed again only when the radiologist asks "
    "for more information."
)
LEVEL_ALREADY_LISTED = _("{level} is already a level of this referral; this row was not saved.")
LEVEL_MISSING = _("The row names no level; it was not saved.")
LEVEL_CHANGE_REFUSED = _("{level} is held by another row; this row stays {kept}.")
IDENTIFICATION_NOT_YOURS = _(
    "Only the physician who registered this patient, or an administrator, can change their "
    "name, MRN or birth date."
)
MRN_ALREADY_REGISTERED = _("A patient with this MRN is already registered in this clinic.")

# Answers of a referral that `referral_save_draft` and `referral_save_and_submit` may write.
REFERRAL_ANSWER_FIELDS = frozenset({"assessed_on", *REFERRAL_FIELDS})
LEVEL_ANSWER_FIELDS = frozenset(LEVEL_FIELDS)
_FOREIGN_KEYS = ["patient", "physician", "assigned_radiologist", "latest_evaluation"]


class ReferralStateError(Exception):
    """The referral is not in a state that allows this action."""


class PatientConflictError(Exception):
    """The patient cannot be stored as given (for example, its MRN is already registered)."""


@dataclass(frozen=True, slots=True)
class LevelAnswers:
    """A target level to store: its id (None for a new one) and the answers to write.

    A stored level whose answers have no "level" keeps its stored level label.
    """

    id: int | None
    answers: dict


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    """The saved draft; per given row its stored id (None: not saved) and why rows were not."""

    referral: Referral
    level_ids: list[int | None]
    not_saved: list[tuple[int, str | StrPromise]]


def default_clinic() -> Clinic:
    clinic = Clinic.objects.order_by("id").first()
    if clinic is None:
        clinic = Clinic.objects.create(name="VPSelect Spine Clinic", code="main")
    return clinic


@transaction.atomic
def patient_create(*, by, clinic: Clinic | None = None, **fields) -> Patient:
    patient = Patient(clinic=clinic or default_clinic(), created_by=by, **fields)
    patient.full_clean()
    patient._history_user = by
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # two registrations of one MRN at the same moment
        raise PatientConflictError(MRN_ALREADY_REGISTERED) from exc
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, by, **fields) -> Patient:
    """Change the patient's identification; only fields that differ are written.

    Raises PermissionDenied unless `by` registered the patient or is an administrator.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not may_edit_identification(user=by, patient=patient):
        raise PermissionDenied(IDENTIFICATION_NOT_YOURS)
    changed = [name for name, value in fields.items() if getattr(patient, name) != value]
    if not changed:
        return patient
    for name in changed:
        setattr(patient, name, fields[name])
    patient.full_clean(exclude=["clinic", "created_by"])
    patient._history_user = by
    try:
        with transaction.atomic():
            patient.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        raise PatientConflictError(MRN_ALREADY_REGISTERED) from exc
    return patient


@transaction.atomic
def referral_create(*, patient: Patient, by) -> Referral:
    """A new, empty draft referral of the patient by this physician."""
    return _referral_insert(patient=patient, by=by, answers={})


def _referral_insert(*, patient: Patient, by, answers: dict) -> Referral:
    """A new draft referral holding the given answers, in one INSERT (the caller holds the
    transaction); its history row records it created with them."""
    referral = Referral(patient=patient, physician=by)
    _set_answers(referral, answers)
    referral._history_user = by
    referral.save()
    return referral


def target_level_add(*, referral: Referral, by, position: int, **answers) -> TargetLevel:
    """Add a target level to the referral (the caller holds the transaction)."""
    target_level = TargetLevel(referral=referral, position=position, **answers)
    target_level.full_clean(exclude=["referral"], validate_unique=False, validate_constraints=False)
    target_level._history_user = by
    target_level.save()
    return target_level


def target_level_remove(*, target_level: TargetLevel, by) -> None:
    """Remove a target level from its referral (the caller holds the transaction)."""
    target_level._history_user = by
    target_level.delete()


@transaction.atomic
def referral_save_draft(
    *,
    patient: Patient,
    referral: Referral | None,
    by,
    answers: dict,
    levels: list[LevelAnswers] | None,
) -> DraftOutcome:
    """Store the given answers and levels as a draft; a new referral is created first.

    `answers` and each level's answers hold only the valid answers (the caller leaves out the
    others). Levels of the referral not in `levels` are removed; `levels=None` leaves them as
    they are. A row whose level would repeat another row's is not saved (a stored row keeps
    its level) and is reported back.
    """
    referral, created = _editable_referral_with_answers(
        patient=patient, referral=referral, by=by, answers=answers
    )
    if levels is None:
        return DraftOutcome(referral=referral, level_ids=[], not_saved=[])
    level_ids, not_saved, _ = _write_levels(referral, levels, by=by, created=created)
    return DraftOutcome(referral=referral, level_ids=level_ids, not_saved=not_saved)


@transaction.atomic
def referral_save_and_submit(
    *,
    patient: Patient,
    referral: Referral | None,
    by,
    answers: dict,
    levels: list[LevelAnswers],
    today: date,
) -> Evaluation:
    """Store the answers and levels and submit, all or nothing.

    Raises eligibility.engine.CaseValidationError (nothing saved, a new referral not created)
    when the answers are not a valid case; its paths `levels[i]` index `levels`.

    The referral is written twice: once with its answers (a new one created with them),
    once submitted with its evaluation; each write has its history row and audit event.
    """
    referral, created = _editable_referral_with_answers(
        patient=patient, referral=referral, by=by, answers=answers
    )
    _, not_saved, stored_levels = _write_levels(referral, levels, by=by, created=created)
    if not_saved:
        raise CaseValidationError(
            [FieldError(f"levels[{index}].level", str(message)) for index, message in not_saved]
        )
    # The referral is locked (or new) since `_editable_referral_with_answers`, in this
    # transaction, and its levels are the rows just written.
    return _submit_locked(referral, by=by, today=today, levels=stored_levels)


@transaction.atomic
def referral_submit(*, referral: Referral, by, today: date | None = None) -> Evaluation:
    """Validate and evaluate the referral in one transaction, then mark it submitted.

    Raises eligibility.engine.CaseValidationError (nothing saved) when the answers are not a
    valid case, and ReferralStateError when the referral cannot be submitted now.
    """
    referral = Referral.objects.select_for_update().select_related("patient").get(pk=referral.pk)
    return _submit_locked(referral, by=by, today=today or timezone.localdate())


def _submit_locked(
    referral: Referral, *, by, today: date, levels: list[TargetLevel] | None = None
) -> Evaluation:
    """Evaluate and submit a referral this transaction holds: one write of the referral with
    its evaluation's outcome and its new status (one history row, one audit event)."""
    if not referral.is_editable_by_physician:
        raise ReferralStateError(REFERRAL_NOT_SUBMITTABLE)
    resubmitted = referral.status == Referral.Status.INFORMATION_REQUESTED
    case = referral_case(referral, levels=levels, assessed_on=today)
    evaluation, evaluated = evaluation_record(referral=referral, case=case, by=by, today=today)
    referral.status = Referral.Status.SUBMITTED
    referral.submitted_at = timezone.now()
    referral.version += 1
    referral._history_user = by
    referral.save(update_fields=[*evaluated, "status", "submitted_at", "version", "updated_at"])
    # The review app writes the radiologists' notification in this transaction (its outbox).
    referral_submitted.send(sender=Referral, referral=referral, resubmitted=resubmitted)
    return evaluation


def _editable_referral_with_answers(
    *, patient: Patient, referral: Referral | None, by, answers: dict
) -> tuple[Referral, bool]:
    """The referral (locked) with the answers written, or a new one created with them;
    and whether it is new. The caller holds the transaction."""
    if referral is None:
        return _referral_insert(patient=patient, by=by, answers=answers), True
    referral = Referral.objects.select_for_update().select_related("patient").get(pk=referral.pk)
    if not referral.is_editable_by_physician:
        raise ReferralStateError(REFERRAL_NOT_EDITABLE)
    _write_answers(referral, answers, by=by)
    return referral, False


def _set_answers(referral: Referral, answers: dict) -> list[str]:
    """Set the answers that differ on the instance, validated; the names of those set."""
    changed = [
        name
        for name, value in answers.items()
        if name in REFERRAL_ANSWER_FIELDS and getattr(referral, name) != value
    ]
    if changed:
        for name in changed:
            setattr(referral, name, answers[name])
        referral.full_clean(
            exclude=_FOREIGN_KEYS, validate_unique=False, validate_constraints=False
        )
    return changed


def _write_answers(referral: Referral, answers: dict, *, by) -> None:
    changed = _set_answers(referral, answers)
    if not changed:
        return
    referral.version += 1
    referral._history_user = by
    referral.save(update_fields=[*changed, "version", "updated_at"])


def _write_levels(
    referral: Referral, rows: list[LevelAnswers], *, by, created: bool = False
) -> tuple[list[int | None], list[tuple[int, str | StrPromise]], list[TargetLevel]]:
    """Make the referral's levels the given rows, in order: (id per row, rows not saved, the
    stored levels in order). A referral `created` in this transaction has none yet."""
    stored = {} if created else {level.pk: level for level in referral.levels.select_for_update()}
    kept = {row.id for row in rows if row.id in stored}
    for pk, target_level in list(stored.items()):
        if pk not in kept:
            target_level_remove(target_level=target_level, by=by)
            del stored[pk]

    index_of = {row.id: index for index, row in enumerate(rows) if row.id in stored}
    proposed = {
        row.id: row.answers.get("level", stored[row.id].level) for row in rows if row.id in stored
    }
    not_saved = _refuse_clashing_labels(proposed, stored, index_of)

    # Two stored rows trading labels would break the unique constraint half-way: park the
    # moving rows on placeholders first, without a history record for the placeholder.
    current_labels = {level.level for level in stored.values()}
    moving = [pk for pk, label in proposed.items() if label != stored[pk].level]
    if any(proposed[pk] in current_labels for pk in moving):
        for placeholder, pk in enumerate(moving):
            stored[pk].level = f"~{placeholder}"
            stored[pk].save_without_historical_record(update_fields=["level"])

    used = set(proposed.values())
    level_ids: list[int | None] = []
    saved: list[TargetLevel] = []
    position = 0
    for index, row in enumerate(rows):
        fields = {name: value for name, value in row.answers.items() if name in LEVEL_ANSWER_FIELDS}
        if row.id in stored:
            fields["level"] = proposed[row.id]
            _update_level(stored[row.id], fields, position=position, by=by)
            level_ids.append(row.id)
            saved.append(stored[row.id])
        elif "level" not in fields:
            not_saved.append((index, LEVEL_MISSING))
            level_ids.append(None)
            continue
        elif fields["level"] in used:
            not_saved.append((index, LEVEL_ALREADY_LISTED.format(level=fields["level"])))
            level_ids.append(None)
            continue
        else:
            used.add(fields["level"])
            added = target_level_add(referral=referral, by=by, position=position, **fields)
            level_ids.append(added.pk)
            saved.append(added)
        position += 1
    return level_ids, sorted(not_saved), saved


def _refuse_clashing_labels(
    proposed: dict[int, str], stored: dict[int, TargetLevel], index_of: dict[int, int]
) -> list[tuple[int, str | StrPromise]]:
    """Keep the stored label of a row whose new label another row also holds."""
    refused: list[tuple[int, str | StrPromise]] = []
    while True:
        counts = Counter(proposed.values())
        clashing = [
            pk for pk, label in proposed.items() if counts[label] > 1 and label != stored[pk].level
        ]
        if not clashing:
            return refused
        for pk in clashing:
            message = LEVEL_CHANGE_REFUSED.format(level=proposed[pk], kept=stored[pk].level)
            refused.append((index_of[pk], message))
            proposed[pk] = stored[pk].level


def _update_level(target_level: TargetLevel, fields: dict, *, position: int, by) -> None:
    fields = {**fields, "position": position}
    changed = [name for name, value in fields.items() if getattr(target_level, name) != value]
    if not changed:
        return
    for name in changed:
        setattr(target_level, name, fields[name])
    target_level.full_clean(exclude=["referral"], validate_unique=False, validate_constraints=False)
    target_level._history_user = by
    target_level.save(update_fields=changed)
