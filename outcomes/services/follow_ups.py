"""Recording a follow-up of a procedure.

The write validates first and raises ValidationError by field before saving anything; the
date of "today" is passed in by the caller (the view or task at the edge).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.mixins import require_clinician
from accounts.roles import Role

from ..models import (
    Analgesics,
    FollowUp,
    FollowUpReminder,
    FollowUpStatus,
    Mobility,
)
from .procedures import ANSWER_REQUIRED, CHOICE_INVALID, DATE_REQUIRED, Problems
from .tallies import cohort_tally_kept

FOLLOW_UP_ALREADY_RECORDED = "This follow-up is already recorded."
FOLLOW_UP_DATE_BEFORE_PROCEDURE = "The follow-up date cannot be before the procedure ({date})."
FOLLOW_UP_DATE_IN_FUTURE = "The follow-up date cannot be in the future."
PAIN_NRS_RANGE = "Pain NRS is a whole number from 0 to 10."
ODI_RANGE = "The Oswestry Disability Index is a percentage from 0 to 100."
ROLAND_MORRIS_RANGE = "The Roland-Morris score is a whole number from 0 to 24."
NEW_FRACTURE_LEVEL_REQUIRED = "Give the level of the new fracture."
NEW_FRACTURE_DATE_INVALID = (
    "The new fracture's date must be between the procedure ({date}) and the follow-up."
)
NEW_FRACTURE_DETAILS_WITHOUT_FRACTURE = (
    "No new fracture was recorded: leave its level and date empty."
)


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
    problems = Problems()
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
    with cohort_tally_kept(follow_up.procedure_id):
        follow_up.save(update_fields=[*answers, "status", "recorded_by", "recorded_at"])
    # Reminders about it are answered: they leave the unread list.
    FollowUpReminder.objects.filter(follow_up=follow_up, read_at__isnull=True).update(
        read_at=follow_up.recorded_at
    )
    return follow_up
