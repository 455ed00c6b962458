"""The follow-up schedule and its due / overdue windows: pure functions, time passed in."""

import datetime as dt

import pytest

from outcomes.schedule import (
    INTERVALS,
    INTERVALS_BY_KEY,
    FollowUpDates,
    FollowUpState,
    follow_up_schedule,
    follow_up_state,
    follow_up_transitions,
)

PERFORMED = dt.date(2026, 1, 15)


def test_schedule_has_the_six_vertos_intervals_from_the_procedure_date():
    schedule = follow_up_schedule(PERFORMED)

    assert [(item.interval.key, item.target_date) for item in schedule] == [
        ("day_1", dt.date(2026, 1, 16)),
        ("week_1", dt.date(2026, 1, 22)),
        ("month_1", dt.date(2026, 2, 14)),
        ("month_3", dt.date(2026, 4, 16)),
        ("month_6", dt.date(2026, 7, 16)),
        ("month_12", dt.date(2027, 1, 15)),
    ]


@pytest.mark.parametrize(
    ("key", "grace"),
    [
        ("day_1", 2),
        ("week_1", 2),
        ("month_1", 7),
        ("month_3", 22),
        ("month_6", 45),
        ("month_12", 91),
    ],
)
def test_grace_period_is_a_quarter_of_the_interval_and_at_least_two_days(key, grace):
    assert INTERVALS_BY_KEY[key].grace_days == grace


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (dt.date(2026, 2, 13), FollowUpState.SCHEDULED),  # the day before the target
        (dt.date(2026, 2, 14), FollowUpState.DUE),  # the target date
        (dt.date(2026, 2, 21), FollowUpState.DUE),  # the last day of the 7-day grace
        (dt.date(2026, 2, 22), FollowUpState.OVERDUE),  # the day after
    ],
)
def test_one_month_follow_up_is_due_from_its_target_and_overdue_after_seven_days(today, state):
    interval = INTERVALS_BY_KEY["month_1"]

    assert (
        follow_up_state(
            interval=interval, target_date=dt.date(2026, 2, 14), completed=False, today=today
        )
        == state
    )


def test_a_recorded_follow_up_is_completed_whatever_the_date():
    assert (
        follow_up_state(
            interval=INTERVALS[0],
            target_date=dt.date(2026, 1, 16),
            completed=True,
            today=dt.date(2030, 1, 1),
        )
        == FollowUpState.COMPLETED
    )


def test_transitions_list_only_follow_ups_whose_state_moves_forward_on_today():
    today = dt.date(2026, 1, 23)
    follow_ups = [
        FollowUpDates(1, "day_1", dt.date(2026, 1, 16), FollowUpState.DUE),  # now overdue
        FollowUpDates(2, "week_1", dt.date(2026, 1, 22), FollowUpState.SCHEDULED),  # now due
        FollowUpDates(3, "month_1", dt.date(2026, 2, 14), FollowUpState.SCHEDULED),  # not yet
        FollowUpDates(4, "day_1", dt.date(2026, 1, 16), FollowUpState.COMPLETED),  # recorded
        FollowUpDates(5, "day_1", dt.date(2026, 1, 16), FollowUpState.OVERDUE),  # already
        FollowUpDates(6, "day_1", dt.date(2026, 1, 10), FollowUpState.SCHEDULED),  # skips due
    ]

    transitions = follow_up_transitions(follow_ups, today=today)

    assert [(t.id, t.old, t.new) for t in transitions] == [
        (1, FollowUpState.DUE, FollowUpState.OVERDUE),
        (2, FollowUpState.SCHEDULED, FollowUpState.DUE),
        (6, FollowUpState.SCHEDULED, FollowUpState.OVERDUE),
    ]


def test_a_clock_set_back_never_moves_a_follow_up_back_to_due():
    overdue = FollowUpDates(1, "day_1", dt.date(2026, 1, 16), FollowUpState.OVERDUE)

    assert follow_up_transitions([overdue], today=dt.date(2026, 1, 16)) == []
