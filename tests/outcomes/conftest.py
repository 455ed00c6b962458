"""Accepted referrals built through the real patient and review services, and procedures."""

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.roles import Role
from outcomes import invitations
from outcomes.services import TreatedLevelInput, follow_up_record, procedure_record
from tests.factories import (
    ELIGIBLE_CASE,
    case_with,
    make_patient,
    make_referral,
    record_decision,
)

LEVEL_L2 = ELIGIBLE_CASE["levels"][0]  # osteoporosis, pain 9
LEVEL_L1 = {**LEVEL_L2, "level": "L1", "pain_nrs": 7}
LEVEL_T12 = {
    **LEVEL_L2,
    "level": "T12",
    "etiology": "metastasis",
    "pain_nrs": 6,
    "high_fracture_risk": True,
    "epidural_extension": False,
}
THREE_LEVEL_CASE = case_with(levels=[LEVEL_T12, LEVEL_L1, LEVEL_L2])


@pytest.fixture(autouse=True)
def in_process_celery(request):
    """Tasks run in-process, unless the test uses the real worker (eagerness stays off)."""
    from vpselect.celery import app

    if "celery_worker_process" in request.fixturenames:
        yield
        return
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def other_physician(make_user):
    return make_user(Role.PHYSICIAN, username="dr-b")


@pytest.fixture
def accepted(physician, radiologist):
    """Make an accepted referral: accepted(levels=["L2"], case=..., family_name="Doe")."""

    def make(*, levels=("L2",), case=None, by=None, decided_by=None, **patient_fields):
        owner = by or physician
        patient = make_patient(by=owner, **patient_fields)
        referral = make_referral(
            physician=owner,
            patient=patient,
            case=copy.deepcopy(case or ELIGIBLE_CASE),
            submit=True,
        )
        record_decision(
            referral, by=decided_by or radiologist, outcome="accept", levels_to_treat=list(levels)
        )
        referral.refresh_from_db()
        return referral

    return make


@pytest.fixture
def record_procedure(radiologist, today):
    """Record a procedure through the service with sensible defaults."""

    def record(referral, *, performed_on=None, volumes=None, by=None, **fields):
        decision = referral.review_decisions.first()
        volumes = volumes or {level: Decimal("3.0") for level in decision.levels_to_treat}
        arguments = {
            "performed_on": performed_on or today,
            "levels": [
                TreatedLevelInput(level, volume, "transpedicular")
                for level, volume in volumes.items()
            ],
            "guidance": "fluoroscopy",
            "anaesthesia": "local",
            "admission": "outpatient",
            "had_complications": False,
            **fields,
        }
        return procedure_record(referral=referral, by=by or radiologist, today=today, **arguments)

    return record


@pytest.fixture
def record_follow_up(radiologist, today):
    """Record one follow-up of a procedure through the service: record_follow_up(p, "day_1", 4)."""

    def record(procedure, interval, pain_nrs, *, assessed_on=None, by=None, **fields):
        follow_up = procedure.follow_ups.get(interval=interval)
        arguments = {
            "assessed_on": assessed_on or follow_up.target_date,
            "pain_nrs": pain_nrs,
            "analgesics": "non_opioid",
            "mobility": "independent",
            "back_to_usual_activities": True,
            "new_fracture": False,
            **fields,
        }
        return follow_up_record(
            follow_up=follow_up,
            by=by or radiologist,
            today=max(today, arguments["assessed_on"]),
            **arguments,
        )

    return record


@pytest.fixture
def consenting(accepted, record_procedure, clinic_staff, today):
    """A treated patient who consents to be contacted: consenting(email=..., mobile=...)."""

    def make(*, email="ada@example.org", mobile="", language="en", **patient_fields):
        referral = accepted(**patient_fields)
        procedure = record_procedure(referral, performed_on=today)
        invitations.patient_contact_save(
            patient=referral.patient,
            by=clinic_staff,
            email=email,
            mobile=mobile,
            preferred_language=language,
            consent_to_contact=True,
            consent_recorded_on=today,
            opted_out=False,
            today=today,
            now=timezone.now(),
        )
        return procedure

    return make
