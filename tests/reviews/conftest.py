"""Fixtures of the review tests: referrals of each recommendation, in-process Celery by default."""

import copy

import pytest

from accounts.roles import Role
from tests.factories import ELIGIBLE_CASE, case_with, make_patient, make_referral, record_decision

RETROPULSION_LEVEL = {**ELIGIBLE_CASE["levels"][0], "level": "L1", "canal_compromise_pct": 35}
CASES = {
    "eligible": ELIGIBLE_CASE,
    "review": case_with(levels=[RETROPULSION_LEVEL]),
    "incomplete": case_with(coagulopathy=None),
    "not_eligible": case_with(systemic_infection=True),
    # L1 review (retropulsion), L2 eligible: the referral is eligible and flagged.
    "two_levels": case_with(levels=[RETROPULSION_LEVEL, ELIGIBLE_CASE["levels"][0]]),
}


@pytest.fixture(autouse=True)
def _seeded_reason_codes(reason_codes):
    """Every review test has the seeded reason codes (tests/conftest.py `reason_codes`)."""


@pytest.fixture(autouse=True)
def in_process_celery(request):
    """Tasks run in-process unless the test uses a real worker (whose fixture turns eager off
    for the rest of the session); the outbox's broker pause starts cleared."""
    from reviews import outbox
    from vpselect.celery import app

    outbox._broker_down_until = 0.0
    if {"celery_worker_process", "private_worker"} & set(request.fixturenames):
        yield
        return
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


@pytest.fixture(autouse=True)
def fresh_override_table():
    """The worklist's override table is cached (reviews.selectors.override_table); a test's
    rolled-back data must not leave its table to the next test."""
    from django.core.cache import cache

    from reviews.selectors import OVERRIDE_TABLE_CACHE_KEY

    cache.delete(OVERRIDE_TABLE_CACHE_KEY)
    yield
    cache.delete(OVERRIDE_TABLE_CACHE_KEY)


@pytest.fixture
def radiologist2(make_user):
    return make_user(Role.RADIOLOGIST, username="ir-b", first_name="Hugo", last_name="Lambert")


@pytest.fixture
def submitted(physician, django_capture_on_commit_callbacks):
    """Make a submitted referral of the physician: submitted("review", family_name="Doe").

    Its on-commit work (the outbox publish, in-process) runs as after a real commit.
    """

    def make(kind="eligible", *, by=None, **patient_fields):
        owner = by or physician
        patient = make_patient(by=owner, **patient_fields)
        with django_capture_on_commit_callbacks(execute=True):
            return make_referral(
                physician=owner, patient=patient, case=copy.deepcopy(CASES[kind]), submit=True
            )

    return make


@pytest.fixture
def radiologist_client(client, radiologist):
    client.force_login(radiologist)
    return client


def decision_post(referral, **fields) -> dict:
    """Form data of a decision on the referral's current version."""
    data = {"expected_version": referral.version, **fields}
    return {key: value for key, value in data.items() if value is not None}


def accept_over_infection(referral, radiologist, *, claim=False):
    """An override of an absolute contraindication on a "not_eligible" referral (L2 accepted
    over its infection): pending until another radiologist countersigns."""
    from reviews.models import ReasonCode

    return record_decision(
        referral,
        by=radiologist,
        claim=claim,
        outcome="accept",
        levels_to_treat=["L2"],
        override_reason=ReasonCode.objects.get(code="clinical-judgement"),
        comment="Infection treated.",
    )
