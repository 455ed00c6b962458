"""Recording procedures and follow-ups, and the daily marking with its reminders."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.roles import Role
from outcomes import services
from outcomes.models import FollowUp, FollowUpReminder, Procedure
from outcomes.schedule import FollowUpState
from outcomes.services import TreatedLevelInput
from tests.factories import make_referral

from .conftest import THREE_LEVEL_CASE

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- Procedure --------------------------------------------------------------------------


def test_recording_a_procedure_schedules_its_six_follow_ups(accepted, record_procedure, today):
    referral = accepted()

    procedure = record_procedure(referral, performed_on=today)

    assert [(f.interval, f.target_date, f.status) for f in procedure.follow_ups.all()] == [
        ("day_1", today + dt.timedelta(days=1), "scheduled"),
        ("week_1", today + dt.timedelta(days=7), "scheduled"),
        ("month_1", today + dt.timedelta(days=30), "scheduled"),
        ("month_3", today + dt.timedelta(days=91), "scheduled"),
        ("month_6", today + dt.timedelta(days=182), "scheduled"),
        ("month_12", today + dt.timedelta(days=365), "scheduled"),
    ]


def test_baseline_is_the_highest_intake_pain_of_the_treated_levels_only(accepted, record_procedure):
    # Intake pain: T12 6, L1 7, L2 9. Treating T12 and L1 gives a baseline of 7.
    referral = accepted(case=THREE_LEVEL_CASE, levels=["T12", "L1", "L2"])

    procedure = record_procedure(referral, volumes={"L1": Decimal("3"), "T12": Decimal("2.5")})

    assert procedure.baseline_pain_nrs == 7
    assert [(lvl.level, lvl.etiology) for lvl in procedure.levels.all()] == [
        ("T12", "metastasis"),
        ("L1", "osteoporosis"),
    ]


def test_the_responsible_radiologist_is_the_referrals_radiologist(
    accepted, record_procedure, clinic_staff, radiologist
):
    procedure = record_procedure(accepted(), by=clinic_staff)

    assert procedure.responsible_radiologist == radiologist
    assert procedure.recorded_by == clinic_staff


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        (Decimal("0"), services.VOLUME_NOT_POSITIVE),
        (Decimal("-1"), services.VOLUME_NOT_POSITIVE),
        (Decimal("15.1"), services.VOLUME_TOO_LARGE),
        (None, services.VOLUME_REQUIRED.format(level="L2")),
    ],
)
def test_cement_volume_must_be_more_than_0_and_at_most_15_ml(
    accepted, record_procedure, volume, message
):
    referral = accepted()

    with pytest.raises(ValidationError) as excinfo:
        record_procedure(referral, volumes={"L2": volume})

    assert errors_of(excinfo) == {"volume_L2": [message]}
    assert not Procedure.objects.exists()


@pytest.mark.parametrize("volume", ["0.5", "1.9", "4.1", "15"])
def test_volumes_outside_the_usual_2_to_4_ml_are_accepted_and_highlighted(
    accepted, record_procedure, volume
):
    procedure = record_procedure(accepted(), volumes={"L2": Decimal(volume)})

    assert procedure.levels.get().volume_outside_usual_range


@pytest.mark.parametrize("volume", ["2", "3.5", "4"])
def test_volumes_inside_the_usual_range_are_not_highlighted(accepted, record_procedure, volume):
    procedure = record_procedure(accepted(), volumes={"L2": Decimal(volume)})

    assert not procedure.levels.get().volume_outside_usual_range


def test_procedure_date_cannot_be_in_the_future(accepted, record_procedure, today):
    with pytest.raises(ValidationError) as excinfo:
        record_procedure(accepted(), performed_on=today + dt.timedelta(days=1))

    assert errors_of(excinfo) == {"performed_on": [services.PROCEDURE_DATE_IN_FUTURE]}


def test_procedure_date_cannot_be_before_the_decision(accepted, record_procedure, today):
    with pytest.raises(ValidationError) as excinfo:
        record_procedure(accepted(), performed_on=today - dt.timedelta(days=1))

    assert errors_of(excinfo) == {
        "performed_on": [services.PROCEDURE_DATE_BEFORE_DECISION.format(decided_on=today)]
    }


def test_only_accepted_levels_can_be_treated(accepted, record_procedure):
    referral = accepted(case=THREE_LEVEL_CASE, levels=["L2"])

    with pytest.raises(ValidationError) as excinfo:
        record_procedure(referral, volumes={"L2": Decimal("3"), "L1": Decimal("3")})

    assert errors_of(excinfo) == {
        "levels": [services.LEVEL_NOT_ACCEPTED.format(level="L1", accepted="L2")]
    }


def test_at_least_one_level_must_be_treated(accepted, record_procedure, today, radiologist):
    with pytest.raises(ValidationError) as excinfo:
        services.procedure_record(
            referral=accepted(),
            by=radiologist,
            performed_on=today,
            levels=[],
            guidance="ct",
            anaesthesia="local",
            admission="outpatient",
            had_complications=False,
            today=today,
        )

    assert errors_of(excinfo) == {"levels": [services.LEVELS_REQUIRED]}


def test_cement_leakage_needs_to_say_whether_it_caused_symptoms(accepted, record_procedure):
    with pytest.raises(ValidationError) as excinfo:
        record_procedure(accepted(), had_complications=True, leakage_sites=["venous"])

    assert errors_of(excinfo) == {"leakage_symptomatic": [services.LEAKAGE_SYMPTOMS_REQUIRED]}


def test_complications_need_a_leakage_site_or_a_description(accepted, record_procedure):
    with pytest.raises(ValidationError) as excinfo:
        record_procedure(accepted(), had_complications=True, other_complication="  ")

    assert errors_of(excinfo) == {"had_complications": [services.COMPLICATION_DETAILS_REQUIRED]}


def test_no_complications_with_complication_details_is_refused(accepted, record_procedure):
    with pytest.raises(ValidationError) as excinfo:
        record_procedure(accepted(), had_complications=False, leakage_sites=["disc"])

    assert errors_of(excinfo) == {
        "had_complications": [services.COMPLICATION_DETAILS_WITHOUT_COMPLICATIONS]
    }


def test_leakage_with_symptoms_and_another_complication_are_stored(accepted, record_procedure):
    procedure = record_procedure(
        accepted(),
        had_complications=True,
        leakage_sites=["epidural", "venous"],
        leakage_symptomatic=True,
        other_complication="Transient hypotension",
    )

    assert procedure.leakage_sites == ["venous", "epidural"]
    assert procedure.leakage_symptomatic is True
    assert procedure.other_complication == "Transient hypotension"


def test_a_referral_not_accepted_cannot_have_a_procedure(
    physician, radiologist, record_procedure, today
):
    referral = make_referral(physician=physician, submit=True)

    with pytest.raises(ValidationError) as excinfo:
        services.procedure_record(
            referral=referral,
            by=radiologist,
            performed_on=today,
            levels=[TreatedLevelInput("L2", Decimal(3), "transpedicular")],
            guidance="ct",
            anaesthesia="local",
            admission="outpatient",
            had_complications=False,
            today=today,
        )

    assert excinfo.value.messages == [services.REFERRAL_NOT_ACCEPTED]


def test_a_second_procedure_for_the_same_referral_is_refused(accepted, record_procedure):
    referral = accepted()
    record_procedure(referral)

    with pytest.raises(ValidationError) as excinfo:
        record_procedure(referral)

    assert excinfo.value.messages == [services.PROCEDURE_ALREADY_RECORDED]
    assert Procedure.objects.count() == 1


# --- Follow-up --------------------------------------------------------------------------


def test_recording_a_follow_up_completes_it(accepted, record_procedure, record_follow_up, today):
    procedure = record_procedure(accepted())

    follow_up = record_follow_up(procedure, "day_1", 4, odi_pct=40, roland_morris=12)

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.pain_nrs, follow_up.odi_pct) == ("completed", 4, 40)
    assert follow_up.assessed_on == today + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"pain_nrs": 11}, {"pain_nrs": [services.PAIN_NRS_RANGE]}),
        ({"pain_nrs": None}, {"pain_nrs": [services.PAIN_NRS_RANGE]}),
        ({"odi_pct": 101}, {"odi_pct": [services.ODI_RANGE]}),
        ({"roland_morris": 25}, {"roland_morris": [services.ROLAND_MORRIS_RANGE]}),
        ({"analgesics": "morphine"}, {"analgesics": [services.CHOICE_INVALID]}),
        (
            {"back_to_usual_activities": None},
            {"back_to_usual_activities": [services.ANSWER_REQUIRED]},
        ),
        ({"new_fracture": True}, {"new_fracture_level": [services.NEW_FRACTURE_LEVEL_REQUIRED]}),
        (
            {"new_fracture": False, "new_fracture_level": "L3"},
            {"new_fracture": [services.NEW_FRACTURE_DETAILS_WITHOUT_FRACTURE]},
        ),
    ],
)
def test_follow_up_answers_are_checked_with_clear_messages(
    accepted, record_procedure, record_follow_up, answers, errors
):
    procedure = record_procedure(accepted())

    with pytest.raises(ValidationError) as excinfo:
        record_follow_up(procedure, "day_1", answers.pop("pain_nrs", 3), **answers)

    assert errors_of(excinfo) == errors
    assert not FollowUp.objects.filter(status="completed").exists()


def test_follow_up_date_cannot_be_before_the_procedure_or_in_the_future(
    accepted, record_procedure, today, radiologist
):
    procedure = record_procedure(accepted())
    follow_up = procedure.follow_ups.get(interval="day_1")
    answers = {
        "pain_nrs": 3,
        "analgesics": "none",
        "mobility": "independent",
        "back_to_usual_activities": True,
        "new_fracture": False,
    }

    for assessed_on, message in [
        (today - dt.timedelta(days=1), services.FOLLOW_UP_DATE_BEFORE_PROCEDURE.format(date=today)),
        (today + dt.timedelta(days=1), services.FOLLOW_UP_DATE_IN_FUTURE),
    ]:
        with pytest.raises(ValidationError) as excinfo:
            services.follow_up_record(
                follow_up=follow_up,
                by=radiologist,
                assessed_on=assessed_on,
                today=today,
                **answers,
            )
        assert errors_of(excinfo) == {"assessed_on": [message]}


def test_a_new_fracture_is_stored_with_its_level_and_date(
    accepted, record_procedure, record_follow_up, today
):
    procedure = record_procedure(accepted())

    follow_up = record_follow_up(
        procedure,
        "week_1",
        5,
        new_fracture=True,
        new_fracture_level="L3",
        new_fracture_date=today + dt.timedelta(days=5),
    )

    assert (follow_up.new_fracture, follow_up.new_fracture_level) == (True, "L3")


def test_a_recorded_follow_up_cannot_be_recorded_again(
    accepted, record_procedure, record_follow_up
):
    procedure = record_procedure(accepted())
    record_follow_up(procedure, "day_1", 4)

    with pytest.raises(ValidationError) as excinfo:
        record_follow_up(procedure, "day_1", 2)

    assert excinfo.value.messages == [services.FOLLOW_UP_ALREADY_RECORDED]
    assert procedure.follow_ups.get(interval="day_1").pain_nrs == 4


# --- Marking and reminders --------------------------------------------------------------


@pytest.fixture
def staff_pair(make_user):
    return [make_user(Role.STAFF, username="staff-1"), make_user(Role.STAFF, username="staff-2")]


def test_marking_sets_due_and_overdue_by_date_and_reminds_radiologist_and_staff(
    accepted, record_procedure, record_follow_up, radiologist, staff_pair, today
):
    procedure = record_procedure(accepted())
    record_follow_up(procedure, "day_1", 5)  # recorded: never marked

    # 9 days later: week 1 (target +7) is due, nothing is overdue yet (day 1 is recorded).
    transitions = services.follow_ups_mark(today=today + dt.timedelta(days=9))

    assert [(procedure.follow_ups.get(pk=t.id).interval, t.new) for t in transitions] == [
        ("week_1", FollowUpState.DUE)
    ]
    week = procedure.follow_ups.get(interval="week_1")
    assert week.status == "due"
    assert set(week.reminders.values_list("recipient__username", "kind")) == {
        (radiologist.username, "due"),
        ("staff-1", "due"),
        ("staff-2", "due"),
    }

    # 10 days later (target + 2 grace + 1): overdue, and a second reminder.
    services.follow_ups_mark(today=today + dt.timedelta(days=10))

    week.refresh_from_db()
    assert week.status == "overdue"
    assert week.reminders.filter(kind="overdue").count() == 3


def test_marking_twice_on_the_same_day_reminds_once(accepted, record_procedure, staff_pair, today):
    record_procedure(accepted())
    later = today + dt.timedelta(days=1)

    first = services.follow_ups_mark(today=later)
    second = services.follow_ups_mark(today=later)

    assert len(first) == 1
    assert second == []
    assert FollowUpReminder.objects.count() == 3  # radiologist + two staff


def test_a_procedure_recorded_late_starts_with_its_follow_ups_already_due_or_overdue(
    accepted, record_procedure, today
):
    referral = accepted()
    procedure = record_procedure(referral)
    # Simulate a procedure recorded 40 days after it was done: states on "today + 40".
    FollowUp.objects.filter(procedure=procedure).delete()
    Procedure.objects.filter(pk=procedure.pk).delete()
    later = today + dt.timedelta(days=40)
    procedure = services.procedure_record(
        referral=referral,
        by=referral.assigned_radiologist,
        performed_on=today,
        levels=[TreatedLevelInput("L2", Decimal(3), "transpedicular")],
        guidance="ct",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=later,
    )

    assert dict(procedure.follow_ups.values_list("interval", "status")) == {
        "day_1": "overdue",
        "week_1": "overdue",
        "month_1": "overdue",  # target +30, grace 7: overdue from +38
        "month_3": "scheduled",
        "month_6": "scheduled",
        "month_12": "scheduled",
    }


def test_reminder_email_lists_referral_numbers_and_a_link_but_no_patient_data(
    accepted, record_procedure, radiologist, today
):
    referral = accepted(family_name="Zebedee", given_name="Ottoline")
    record_procedure(referral)
    services.follow_ups_mark(today=today + dt.timedelta(days=1))

    sent = services.reminders_email(user_id=radiologist.pk)

    assert sent == 1
    [message] = mail.outbox
    assert message.to == [radiologist.email]
    assert f"Referral #{referral.pk}: 1 day follow-up is due." in message.body
    assert "/outcomes/follow-ups/due/" in message.body
    for phi in ("Zebedee", "Ottoline", referral.patient.mrn, "1946"):
        assert phi not in message.body + message.subject
    assert services.reminders_email(user_id=radiologist.pk) == 0  # sent once
    assert len(mail.outbox) == 1


def test_a_failed_reminder_email_is_left_for_the_next_run(
    accepted, record_procedure, radiologist, today, monkeypatch
):
    record_procedure(accepted())
    services.follow_ups_mark(today=today + dt.timedelta(days=1))

    def refuse(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(OSError):
        services.reminders_email(user_id=radiologist.pk)

    assert services.reminder_recipients_to_email() == [radiologist.pk]
    assert FollowUpReminder.objects.filter(emailed_at__isnull=False).count() == 0


def test_recording_a_follow_up_marks_its_reminders_read(
    accepted, record_procedure, record_follow_up, radiologist, today
):
    procedure = record_procedure(accepted())
    services.follow_ups_mark(today=today + dt.timedelta(days=1))

    record_follow_up(procedure, "day_1", 3)

    assert not FollowUpReminder.objects.filter(read_at__isnull=True).exists()
