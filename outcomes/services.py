"""Writes of the outcomes app: recording a procedure (with its follow-up schedule), recording
a follow-up, and the daily marking of follow-ups due and overdue with its reminders.

Each write validates first and raises ValidationError by field before saving anything; the
date of "today" is passed in by the caller (the view or task at the edge).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.mixins import require_clinician
from accounts.roles import Role, group_name
from patients.models import Referral
from reviews.models import ReviewDecision

from .models import (
    CEMENT_ML_MAX,
    Admission,
    Anaesthesia,
    Analgesics,
    FollowUp,
    FollowUpReminder,
    FollowUpStatus,
    Guidance,
    LeakageSite,
    Mobility,
    NeedleApproach,
    Procedure,
    TreatedLevel,
)
from .schedule import (
    FollowUpDates,
    FollowUpState,
    Transition,
    follow_up_schedule,
    follow_up_state,
    follow_up_transitions,
)

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

FOLLOW_UP_ALREADY_RECORDED = "This follow-up is already recorded."
FOLLOW_UP_DATE_BEFORE_PROCEDURE = "The follow-up date cannot be before the procedure ({date})."
FOLLOW_UP_DATE_IN_FUTURE = "The follow-up date cannot be in the future."
PAIN_NRS_RANGE = "Pain NRS is a whole number from 0 to 10."
ODI_RANGE = "The Oswestry Disability Index is a percentage from 0 to 100."
ROLAND_MORRIS_RANGE = "The Roland-Morris score is a whole number from 0 to 24."
ANSWER_REQUIRED = "Answer yes or no."
NEW_FRACTURE_LEVEL_REQUIRED = "Give the level of the new fracture."
NEW_FRACTURE_DATE_INVALID = (
    "The new fracture's date must be between the procedure ({date}) and the follow-up."
)
NEW_FRACTURE_DETAILS_WITHOUT_FRACTURE = (
    "No new fracture was recorded: leave its level and date empty."
)
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
REMINDER_PRIVACY_NOTE = (
    "For patient privacy this e-mail contains no patient data; sign in to see it."
)


def level_field(level: str, name: str) -> str:
    """The form field (and error key) of one accepted level's answer, e.g. "volume_T12"."""
    return f"{name}_{level}"


@dataclass(frozen=True)
class TreatedLevelInput:
    level: str
    cement_volume_ml: Decimal | None
    approach: str


class _Problems(dict):
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
    problems = _Problems()
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
    return procedure


def follow_up_problems(
    *,
    follow_up: FollowUp,
    assessed_on: date | None,
    pain_nrs: int | None,
    analgesics: str,
    mobility: str,
    back_to_usual_activities: bool | None,
    new_fracture: bool | None,
    new_fracture_level: str,
    new_fracture_date: date | None,
    odi_pct: int | None,
    roland_morris: int | None,
    today: date,
) -> dict[str, list[str]]:
    """Field errors of a follow-up record ({} when it may be saved)."""
    problems = _Problems()
    performed_on = follow_up.procedure.performed_on
    if assessed_on is None:
        problems.add("assessed_on", DATE_REQUIRED)
    elif assessed_on < performed_on:
        problems.add(
            "assessed_on", FOLLOW_UP_DATE_BEFORE_PROCEDURE.format(date=performed_on.isoformat())
        )
    elif assessed_on > today:
        problems.add("assessed_on", FOLLOW_UP_DATE_IN_FUTURE)
    if pain_nrs is None or not 0 <= pain_nrs <= 10:
        problems.add("pain_nrs", PAIN_NRS_RANGE)
    if analgesics not in Analgesics.values:
        problems.add("analgesics", CHOICE_INVALID)
    if mobility not in Mobility.values:
        problems.add("mobility", CHOICE_INVALID)
    if back_to_usual_activities is None:
        problems.add("back_to_usual_activities", ANSWER_REQUIRED)
    if new_fracture is None:
        problems.add("new_fracture", ANSWER_REQUIRED)
    elif new_fracture:
        if not new_fracture_level:
            problems.add("new_fracture_level", NEW_FRACTURE_LEVEL_REQUIRED)
        latest = assessed_on or today
        if new_fracture_date is not None and not performed_on <= new_fracture_date <= latest:
            problems.add(
                "new_fracture_date", NEW_FRACTURE_DATE_INVALID.format(date=performed_on.isoformat())
            )
    elif new_fracture_level or new_fracture_date is not None:
        problems.add("new_fracture", NEW_FRACTURE_DETAILS_WITHOUT_FRACTURE)
    if odi_pct is not None and not 0 <= odi_pct <= 100:
        problems.add("odi_pct", ODI_RANGE)
    if roland_morris is not None and not 0 <= roland_morris <= 24:
        problems.add("roland_morris", ROLAND_MORRIS_RANGE)
    return dict(problems)


@transaction.atomic
def follow_up_record(
    *,
    follow_up: FollowUp,
    by,
    assessed_on: date | None,
    pain_nrs: int | None,
    analgesics: str,
    mobility: str,
    back_to_usual_activities: bool | None,
    new_fracture: bool | None,
    new_fracture_level: str = "",
    new_fracture_date: date | None = None,
    odi_pct: int | None = None,
    roland_morris: int | None = None,
    today: date,
) -> FollowUp:
    """Record the patient's state at one follow-up and mark it completed.

    Raises ValidationError by field (nothing saved) for bad input and for a follow-up that is
    already recorded.
    """
    require_clinician(by, Role.RADIOLOGIST, Role.STAFF)
    follow_up = (
        FollowUp.objects.select_for_update().select_related("procedure").get(pk=follow_up.pk)
    )
    if follow_up.is_completed:
        raise ValidationError(FOLLOW_UP_ALREADY_RECORDED)
    answers = {
        "assessed_on": assessed_on,
        "pain_nrs": pain_nrs,
        "analgesics": analgesics,
        "mobility": mobility,
        "back_to_usual_activities": back_to_usual_activities,
        "new_fracture": new_fracture,
        "new_fracture_level": new_fracture_level if new_fracture else "",
        "new_fracture_date": new_fracture_date if new_fracture else None,
        "odi_pct": odi_pct,
        "roland_morris": roland_morris,
    }
    problems = follow_up_problems(
        follow_up=follow_up,
        assessed_on=assessed_on,
        pain_nrs=pain_nrs,
        analgesics=analgesics,
        mobility=mobility,
        back_to_usual_activities=back_to_usual_activities,
        new_fracture=new_fracture,
        new_fracture_level=new_fracture_level,
        new_fracture_date=new_fracture_date,
        odi_pct=odi_pct,
        roland_morris=roland_morris,
        today=today,
    )
    if problems:
        raise ValidationError(problems)
    for name, value in answers.items():
        setattr(follow_up, name, value)
    follow_up.status = FollowUpStatus.COMPLETED
    follow_up.recorded_by = by
    follow_up.recorded_at = timezone.now()
    follow_up.save(update_fields=[*answers, "status", "recorded_by", "recorded_at"])
    # Reminders about it are answered: they leave the unread list.
    FollowUpReminder.objects.filter(follow_up=follow_up, read_at__isnull=True).update(
        read_at=follow_up.recorded_at
    )
    return follow_up


# --- Daily marking and reminders ------------------------------------------------------


def staff_members():
    """Active users holding the clinic staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=group_name(Role.STAFF))
        .distinct()
    )


@transaction.atomic
def follow_ups_mark(*, today: date) -> list[Transition]:
    """Mark follow-ups that fell due or overdue by `today` and remind the people responsible.

    Each changed follow-up gets one in-app reminder per recipient (its responsible
    radiologist and every clinic staff member); `reminders_email` e-mails them. Running it
    twice on the same day changes nothing the second time.
    """
    # Only unrecorded follow-ups whose target date has come can change state.
    candidates = (
        FollowUp.objects.select_for_update(skip_locked=True)
        .filter(status__in=[FollowUpStatus.SCHEDULED, FollowUpStatus.DUE], target_date__lte=today)
        .values_list("id", "interval", "target_date", "status")
    )
    transitions = follow_up_transitions(
        (
            FollowUpDates(pk, interval, target_date, FollowUpState(status))
            for pk, interval, target_date, status in candidates
        ),
        today=today,
    )
    if not transitions:
        return []
    # One save per follow-up (a handful a day), so each change is in its history.
    new_state = {transition.id: transition.new for transition in transitions}
    radiologist_of = {}
    for follow_up in FollowUp.objects.filter(pk__in=new_state).select_related(
        "procedure__responsible_radiologist"
    ):
        follow_up.status = new_state[follow_up.pk].value
        follow_up.save(update_fields=["status"])
        radiologist = follow_up.procedure.responsible_radiologist
        if radiologist is not None and radiologist.is_active:
            radiologist_of[follow_up.pk] = radiologist.pk
    staff_ids = list(staff_members().values_list("id", flat=True))
    reminders = []
    for transition in transitions:
        recipients = set(staff_ids)
        if transition.id in radiologist_of:
            recipients.add(radiologist_of[transition.id])
        kind = (
            FollowUpReminder.Kind.OVERDUE
            if transition.new == FollowUpState.OVERDUE
            else FollowUpReminder.Kind.DUE
        )
        reminders.extend(
            FollowUpReminder(recipient_id=user_id, follow_up_id=transition.id, kind=kind)
            for user_id in sorted(recipients)
        )
    FollowUpReminder.objects.bulk_create(reminders, ignore_conflicts=True)
    return transitions


def reminder_recipients_to_email() -> list[int]:
    """Ids of users with reminders not yet e-mailed (new ones, or a failed earlier send)."""
    return sorted(
        set(
            FollowUpReminder.objects.filter(emailed_at__isnull=True).values_list(
                "recipient_id", flat=True
            )
        )
    )


def site_url() -> str:
    """The address users reach VPSelect at, for links in e-mails."""
    for name in ("VPSELECT_SITE_URL", "VPSELECT_PUBLIC_URL"):
        value = getattr(settings, name, "")
        if value:
            return value.rstrip("/")
    return DEFAULT_SITE_URL


def reminders_email_message(reminders: Sequence[FollowUpReminder], recipient) -> EmailMessage:
    """One e-mail listing the user's new reminders: referral numbers and a link, no PHI."""
    lines = [
        f"Referral #{reminder.follow_up.procedure.referral_id}: "
        f"{reminder.follow_up.interval_spec.label} follow-up is "
        f"{reminder.get_kind_display().lower()}."
        for reminder in reminders
    ]
    overdue = sum(reminder.kind == FollowUpReminder.Kind.OVERDUE for reminder in reminders)
    subject = f"VPSelect: {len(reminders)} follow-up(s) to record" + (
        f", {overdue} overdue" if overdue else ""
    )
    site = site_url()
    body = "\n\n".join(
        [
            "\n".join(lines),
            f"Open the list of follow-ups due: {site}{reverse('outcomes:follow-ups-due')}",
            REMINDER_PRIVACY_NOTE,
        ]
    )
    return EmailMessage(subject=subject, body=body, to=[recipient.email])


@transaction.atomic
def reminders_email(*, user_id: int) -> int:
    """Send the user one e-mail with their reminders not yet e-mailed; returns how many.

    The rows are locked and marked in the sending transaction, so a repeated task sends
    nothing twice; a failed send leaves them unmarked for the next run.
    """
    recipient = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if recipient is None or not recipient.email:
        return 0
    reminders = list(
        FollowUpReminder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(recipient=recipient, emailed_at__isnull=True)
        .select_related("follow_up__procedure")
        .order_by("follow_up__target_date", "id")
    )
    if not reminders:
        return 0
    reminders_email_message(reminders, recipient).send()
    FollowUpReminder.objects.filter(pk__in=[reminder.pk for reminder in reminders]).update(
        emailed_at=timezone.now()
    )
    return len(reminders)


@transaction.atomic
def reminders_mark_read(*, user, now=None) -> int:
    """Mark all of the user's unread reminders read; returns how many."""
    return FollowUpReminder.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
