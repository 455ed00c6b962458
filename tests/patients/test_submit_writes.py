"""What a submission writes: the referral, its levels, one evaluation, history and audit.

A new referral is created with its answers in one INSERT and written once more when it is
submitted with its evaluation's outcome; every write has its history row and audit event,
all in one transaction.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from eligibility.conf import get_thresholds
from eligibility.engine import evaluate
from eligibility.models import Evaluation
from patients.cases import referral_case
from patients.models import Referral, TargetLevel
from patients.services import LevelAnswers, referral_save_draft
from reviews.models import OutboxMessage

from .conftest import case_form_data, eligible_case

pytestmark = pytest.mark.django_db

# The request's own statements around the service's: session, user, roles and the patient
# before (and the referral's stored levels, for the form, on an edit); the request's audit
# event and the session's save (savepoint, update, release: the message) after.
BEFORE = 4
BEFORE_EDIT = 5
AFTER = 4


def _two_level_case(today):
    case = eligible_case(today)
    second = dict(case["levels"][0], level="L3", pain_nrs=6)
    second["fracture_date"] = (today - timedelta(days=20)).isoformat()
    case["levels"].append(second)
    return case


AUDIT = "INSERT audit_auditevent"


def _statements(captured) -> list[str]:
    """Each statement as its verb and, for a write, its table: `INSERT patients_referral`."""
    statements = []
    for query in captured.captured_queries:
        words = query["sql"].split()
        verb = words[0]
        if verb == "INSERT":
            statements.append(f"INSERT {words[2].strip(chr(34))}")
        elif verb == "UPDATE":
            statements.append(f"UPDATE {words[1].strip(chr(34))}")
        elif verb == "SELECT" and words[-2:] == ["FOR", "UPDATE"]:
            statements.append("SELECT FOR UPDATE")
        else:
            statements.append(verb)
    return statements


def _audited_history(model_label: str, records) -> set[tuple]:
    """The audit events written for these history records: (action, history id)."""
    events = AuditEvent.objects.filter(details__history_model=model_label)
    wanted = {record.history_id for record in records}
    return {
        (event.action, event.details["history_id"])
        for event in events
        if event.details["history_id"] in wanted
    }


def test_new_two_level_submission_writes_the_referral_twice_in_one_transaction(
    physician_client, physician, make_patient, django_assert_num_queries
):
    patient = make_patient(physician)
    today = timezone.localdate()
    url = reverse("patients:referral-create", args=[patient.pk])
    data = case_form_data(_two_level_case(today), action="submit")

    # 1 savepoint + referral (insert, history, audit) + 2 levels (insert, history, audit)
    # + evaluation + referral (update, history, audit) + outbox + release.
    with CaptureQueriesContext(connection) as captured:
        with django_assert_num_queries(BEFORE + 16 + AFTER):
            response = physician_client.post(url, data)
    assert response.status_code == 302

    # One transaction (a savepoint in the test's), nothing nested in it.
    assert _statements(captured)[BEFORE : BEFORE + 16] == [
        "SAVEPOINT",
        *("INSERT patients_referral", "INSERT patients_historicalreferral", AUDIT),
        *("INSERT patients_targetlevel", "INSERT patients_historicaltargetlevel", AUDIT) * 2,
        "INSERT eligibility_evaluation",
        *("UPDATE patients_referral", "INSERT patients_historicalreferral", AUDIT),
        "INSERT reviews_outboxmessage",
        "RELEASE",
    ]

    referral = Referral.objects.get(patient=patient)
    levels = list(referral.levels.all())
    assert [level.level for level in levels] == ["L2", "L3"]
    assert referral.status == Referral.Status.SUBMITTED
    assert referral.version == 2
    assert referral.submitted_at is not None

    # The evaluation: the case as stored, the engine's result on it, the ruleset version.
    evaluation = Evaluation.objects.get(referral=referral)
    case = referral_case(referral, assessed_on=today)
    assert evaluation.case == case
    assert evaluation.result == evaluate(case, today=today, thresholds=get_thresholds())
    assert evaluation.ruleset_version == evaluation.result["ruleset_version"]
    assert evaluation.recommendation == evaluation.result["recommendation"] == "eligible"
    assert evaluation.flagged is evaluation.result["flagged"] is False
    assert evaluation.referral_version == 1
    assert evaluation.created_by == physician
    assert referral.latest_evaluation == evaluation
    assert (referral.recommendation, referral.flagged) == ("eligible", False)

    # History: created as a draft with its answers, then submitted with the evaluation.
    records = list(Referral.history.filter(id=referral.pk).order_by("history_id"))
    assert [(r.history_type, r.status, r.version) for r in records] == [
        ("+", "draft", 1),
        ("~", "submitted", 2),
    ]
    assert all(r.history_user == physician for r in records)
    created, submitted = records
    assert (created.coagulopathy, created.inr, created.allergies) == (False, 1, [])
    assert created.latest_evaluation_id is None and created.recommendation == ""
    assert submitted.latest_evaluation_id == evaluation.pk
    assert submitted.recommendation == "eligible"
    level_records = list(TargetLevel.history.filter(referral_id=referral.pk))
    assert sorted((r.history_type, r.level) for r in level_records) == [("+", "L2"), ("+", "L3")]
    assert all(r.history_user == physician for r in level_records)

    # An audit event for every history record, linked to it.
    assert _audited_history("patients.historicalreferral", records) == {
        (AuditEvent.Action.CREATE, created.history_id),
        (AuditEvent.Action.CHANGE, submitted.history_id),
    }
    assert _audited_history("patients.historicaltargetlevel", level_records) == {
        (AuditEvent.Action.CREATE, r.history_id) for r in level_records
    }
    assert (
        AuditEvent.objects.filter(object_type="patients.referral", object_id=str(referral.pk))
        .exclude(details__history_model="patients.historicalreferral")
        .count()
        == 0
    )
    # The radiologists' notification, written with the submission.
    assert OutboxMessage.objects.filter(payload={"referral_id": referral.pk}).count() == 1


def test_resubmission_writes_the_answers_then_the_submission(
    physician_client, physician, make_patient, make_referral, django_assert_num_queries
):
    today = timezone.localdate()
    case = eligible_case(today)
    case["coagulopathy"] = None
    referral = make_referral(make_patient(physician), physician, case)
    Referral.objects.filter(pk=referral.pk).update(
        status=Referral.Status.INFORMATION_REQUESTED, version=5
    )
    level = referral.levels.get()
    history_before = Referral.history.filter(id=referral.pk).count()
    case["coagulopathy"] = False
    data = case_form_data(case, action="submit", level_ids={0: level.pk})
    url = reverse("patients:referral-edit", args=[referral.pk])

    with CaptureQueriesContext(connection) as captured:
        with django_assert_num_queries(BEFORE_EDIT + 12 + AFTER):
            response = physician_client.post(url, data)
    assert response.status_code == 302
    assert _statements(captured)[BEFORE_EDIT : BEFORE_EDIT + 12] == [
        "SAVEPOINT",
        "SELECT FOR UPDATE",  # the referral, with its patient
        *("UPDATE patients_referral", "INSERT patients_historicalreferral", AUDIT),
        "SELECT FOR UPDATE",  # its levels
        "INSERT eligibility_evaluation",
        *("UPDATE patients_referral", "INSERT patients_historicalreferral", AUDIT),
        "INSERT reviews_outboxmessage",
        "RELEASE",
    ]

    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    assert referral.version == 7  # answers 6, submitted 7
    evaluation = referral.latest_evaluation
    assert evaluation.referral_version == 6
    assert evaluation.case == referral_case(referral, assessed_on=today)
    assert evaluation.case["coagulopathy"] is False
    records = list(Referral.history.filter(id=referral.pk).order_by("history_id"))[history_before:]
    assert [(r.history_type, r.status, r.version, r.coagulopathy) for r in records] == [
        ("~", "information_requested", 6, False),
        ("~", "submitted", 7, False),
    ]
    assert _audited_history("patients.historicalreferral", records) == {
        (AuditEvent.Action.CHANGE, r.history_id) for r in records
    }
    assert OutboxMessage.objects.filter(kind="referral_resubmitted").count() == 1


def test_a_submission_the_engine_refuses_leaves_no_trace(physician_client, physician, make_patient):
    patient = make_patient(physician)
    # A date of birth in the future passes the form and is refused by the engine.
    patient.date_of_birth = timezone.localdate() + timedelta(days=3)
    patient.save(update_fields=["date_of_birth"])
    case = eligible_case(timezone.localdate())
    case["levels"][0]["fracture_date"] = None
    url = reverse("patients:referral-create", args=[patient.pk])
    events_before = AuditEvent.objects.count()
    response = physician_client.post(url, case_form_data(case, action="submit"))
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert not Referral.history.exists() and not TargetLevel.history.exists()
    assert not Evaluation.objects.exists() and not OutboxMessage.objects.exists()
    # Only the request's own audit event.
    assert AuditEvent.objects.count() == events_before + 1


def test_a_new_draft_is_created_with_its_answers_in_one_write(physician, make_patient):
    patient = make_patient(physician)
    outcome = referral_save_draft(
        patient=patient,
        referral=None,
        by=physician,
        answers={"coagulopathy": True, "inr": 2},
        levels=[LevelAnswers(id=None, answers={"level": "T12", "pain_nrs": 7})],
    )
    referral = outcome.referral
    referral.refresh_from_db()
    assert (referral.coagulopathy, referral.inr, referral.version) == (True, 2, 1)
    records = list(Referral.history.filter(id=referral.pk))
    assert [(r.history_type, r.coagulopathy, r.inr) for r in records] == [("+", True, 2)]
    assert records[0].history_user == physician
    assert [(r.history_type, r.level) for r in TargetLevel.history.all()] == [("+", "T12")]
