"""The follow-up schedule of a vertebroplasty and the due / overdue windows.

Intervals are those of the VERTOS trials: 1 day, 1 week, 1 month, 3 months, 6 months and
12 months after the procedure. A month is counted as days (30, 91, 182, 365) so that every
target date is one subtraction away from the procedure date and needs no calendar rules.

A follow-up is *scheduled* before its target date, *due* from its target date for a grace
period of a quarter of its interval (at least 2 days), and *overdue* after that. Recording
it makes it *completed* whatever the date.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class FollowUpState(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    OVERDUE = "overdue"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Interval:
    key: str
    label: "StrOrPromise"  # lazy: read in each reader's language
    short_label: "StrOrPromise"  # the chart's axis
    days: int

    @property
    def grace_days(self) -> int:
        """Days after the target date during which the follow-up is due and not yet overdue."""
        return max(MIN_GRACE_DAYS, self.days // 4)


MIN_GRACE_DAYS = 2

INTERVALS: tuple[Interval, ...] = (
    Interval("day_1", _("1 day"), pgettext_lazy("follow-up interval, short", "1 d"), 1),
    Interval("week_1", _("1 week"), pgettext_lazy("follow-up interval, short", "1 wk"), 7),
    Interval("month_1", _("1 month"), pgettext_lazy("follow-up interval, short", "1 mo"), 30),
    Interval("month_3", _("3 months"), pgettext_lazy("follow-up interval, short", "3 mo"), 91),
    Interval("month_6", _("6 months"), pgettext_lazy("follow-up interval, short", "6 mo"), 182),
    Interval("month_12", _("12 months"), pgettext_lazy("follow-up interval, short", "12 mo"), 365),
)
INTERVALS_BY_KEY: dict[str, Interval] = {interval.key: interval for interval in INTERVALS}


@dataclass(frozen=True)
class ScheduledFollowUp:
    interval: Interval
    target_date: date

    @property
    def overdue_from(self) -> date:
        return overdue_from(self.interval, self.target_date)


def follow_up_schedule(performed_on: date) -> list[ScheduledFollowUp]:
    """The six follow-ups of a procedure performed on `performed_on`, earliest first."""
    return [
        ScheduledFollowUp(interval, performed_on + timedelta(days=interval.days))
        for interval in INTERVALS
    ]


def overdue_from(interval: Interval, target_date: date) -> date:
    """The first day on which a follow-up not yet recorded is overdue."""
    return target_date + timedelta(days=interval.grace_days + 1)


def follow_up_state(
    *, interval: Interval, target_date: date, completed: bool, today: date
) -> FollowUpState:
    """The state of one follow-up on `today`."""
    if completed:
        return FollowUpState.COMPLETED
    if today < target_date:
        return FollowUpState.SCHEDULED
    if today < overdue_from(interval, target_date):
        return FollowUpState.DUE
    return FollowUpState.OVERDUE


@dataclass(frozen=True)
class FollowUpDates:
    """What the marking needs to know of a stored follow-up."""

    id: int
    interval_key: str
    target_date: date
    state: FollowUpState


@dataclass(frozen=True)
class Transition:
    id: int
    old: FollowUpState
    new: FollowUpState


def follow_up_transitions(follow_ups: Iterable[FollowUpDates], *, today: date) -> list[Transition]:
    """The follow-ups whose state changes on `today`, with their old and new state.

    Completed follow-ups never change, and a state never moves backwards (a follow-up marked
    overdue stays overdue if the clock is later set back).
    """
    order = list(FollowUpState)
    transitions = []
    for follow_up in follow_ups:
        if follow_up.state == FollowUpState.COMPLETED:
            continue
        new = follow_up_state(
            interval=INTERVALS_BY_KEY[follow_up.interval_key],
            target_date=follow_up.target_date,
            completed=False,
            today=today,
        )
        if order.index(new) > order.index(follow_up.state):
            transitions.append(Transition(follow_up.id, follow_up.state, new))
    return transitions
