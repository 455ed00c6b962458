"""Services and selectors below the views: level bookkeeping, diffs, history, admin."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients import services
from patients.selectors import case_changes, referral_change_history, referral_preview
from patients.services import LevelAnswers, referral_save_draft

from .conftest import eligible_case

pytestmark = pytest.mark.django_db


def test_preview_of_stored_answers_equals_the_submission_engine_path(
    physician, make_patient, make_referral
):
    today = timezone.localdate()
    referral = make_referral(make_patient(physician), physician, eligible_case(today))
    case, result = referral_preview(
        referral=referral, levels=list(referral.levels.all()), today=today
    )

    evaluation = services.referral_submit(referral=referral, by=physician, today=today)

    assert (case, result) == (evaluation.case, evaluation.result)


def test_a_draft_keeps_a_rows_level_when_another_row_holds_the_new_one(
    physician, make_patient, make_referral
):
    case = eligible_case(timezone.localdate())
    case["levels"].append({**case["levels"][0], "level": "L3"})
    referral = make_referral(make_patient(physician), physician, case)
    first, second = referral.levels.order_by("position")
    outcome = referral_save_draft(
        patient=referral.patient,
        referral=referral,
        by=physician,
        answers={},
        # The first row moves onto L3; the second row has no valid label and keeps L3.
        levels=[LevelAnswers(first.pk, {"level": "L3"}), LevelAnswers(second.pk, {})],
    )
    assert outcome.not_saved == [(0, services.LEVEL_CHANGE_REFUSED.format(level="L3", kept="L2"))]
    assert sorted(referral.levels.values_list("level", flat=True)) == ["L2", "L3"]


def test_a_new_row_repeating_a_stored_level_is_not_saved(physician, make_patient, make_referral):
    referral = make_referral(
        make_patient(physician), physician, eligible_case(timezone.localdate())
    )
    stored = referral.levels.get()
    outcome = referral_save_draft(
        patient=referral.patient,
        referral=referral,
        by=physician,
        answers={},
        levels=[LevelAnswers(stored.pk, {}), LevelAnswers(None, {"level": "L2"})],
    )
    assert outcome.level_ids == [stored.pk, None]
    assert outcome.not_saved == [(1, services.LEVEL_ALREADY_LISTED.format(level="L2"))]


def test_a_draft_bumps_the_version_only_when_an_answer_changes(
    physician, make_patient, make_referral
):
    referral = make_referral(
        make_patient(physician), physician, eligible_case(timezone.localdate())
    )
    version = referral.version
    referral_save_draft(
        patient=referral.patient,
        referral=referral,
        by=physician,
        answers={"inr": referral.inr},
        levels=[LevelAnswers(level.pk, {}) for level in referral.levels.all()],
    )
    referral.refresh_from_db()
    assert referral.version == version
    referral_save_draft(
        patient=referral.patient,
        referral=referral,
        by=physician,
        answers={"local_infection": True},
        levels=[LevelAnswers(level.pk, {}) for level in referral.levels.all()],
    )
    referral.refresh_from_db()
    assert referral.version == version + 1


def test_case_changes_name_each_changed_answer_by_level():
    before = {
        "coagulopathy": None,
        "allergies": None,
        "patient": {"sex": "female", "date_of_birth": "1946-03-14"},
        "levels": [{"level": "L2", "pain_nrs": 6, "fracture": True}],
    }
    after = {
        "coagulopathy": False,
        "allergies": [],
        "patient": {"sex": "female", "date_of_birth": "1946-03-14"},
        "levels": [
            {"level": "L3", "pain_nrs": 4, "fracture": True},
            {"level": "L2", "pain_nrs": 8, "fracture": True},
        ],
    }
    changes = [(c.label, c.before, c.after) for c in case_changes(before, after)]
    assert changes == [
        ("coagulopathy", "unknown", "no"),
        ("allergy status", "not asked / unknown", "none known"),
        ("level L3", "—", "listed"),
        ("L3 pain NRS", "—", "4"),
        ("L3 fracture status", "—", "yes"),
        ("L2 pain NRS", "6", "8"),
    ]


def test_change_history_records_who_changed_what(physician, make_patient, make_referral):
    referral = make_referral(make_patient(physician), physician, eligible_case(date(2026, 11, 24)))
    level = referral.levels.get()
    referral_save_draft(
        patient=referral.patient,
        referral=referral,
        by=physician,
        answers={"systemic_infection": True},
        levels=[LevelAnswers(level.pk, {"pain_nrs": 3})],
    )
    history = referral_change_history(referral=referral)
    described = [
        (entry.what, entry.who, [(c.label, c.before, c.after) for c in entry.changes])
        for entry in history
    ]
    assert ("Referral changed", "Dr-A Tester", [("systemic infection", "no", "yes")]) in described
    assert ("Level L2 changed", "Dr-A Tester", [("pain NRS", "9", "3")]) in described
    assert described[-1][0] in {"Referral created", "Level L2 added"}


def test_admin_lists_patients_and_referrals_for_superusers(
    client, make_user, physician, make_patient, make_referral
):
    referral = make_referral(
        make_patient(physician), physician, eligible_case(timezone.localdate())
    )
    admin = make_user(superuser=True)
    # The admin site wants a verified second factor (django-otp) on top of the login.
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    for url in (
        reverse("admin:patients_patient_changelist"),
        reverse("admin:patients_referral_changelist"),
        reverse("admin:patients_referral_change", args=[referral.pk]),
        reverse("admin:patients_referral_history", args=[referral.pk]),
    ):
        assert client.get(url).status_code == 200, url
