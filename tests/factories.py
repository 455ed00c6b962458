"""Test data built through the real services: patients and referrals from engine cases, and
radiologists' decisions on them."""

import copy
import datetime as dt
import itertools

from patients.cases import case_referral_answers
from patients.models import Referral, TargetLevel
from patients.services import patient_create, referral_submit
from reviews.models import ReviewDecision
from reviews.services import decision_record, referral_claim
from tests.eligibility.engine.builders import BASE_CASE

_mrn = itertools.count(1)

# The shared example 01 (eligible osteoporotic L2), kept once in the engine tests' builders.
ELIGIBLE_CASE = BASE_CASE


def case_with(**changes) -> dict:
    """A copy of the eligible case with top-level keys replaced (levels=… replaces all levels)."""
    case = copy.deepcopy(ELIGIBLE_CASE)
    case.update(copy.deepcopy(changes))
    return case


def make_patient(*, by, given_name="Ada", family_name="Example", mrn=None, **fields):
    return patient_create(
        by=by,
        mrn=mrn or f"MRN{next(_mrn):06d}",
        given_name=given_name,
        family_name=family_name,
        date_of_birth=fields.pop("date_of_birth", dt.date(1946, 3, 14)),
        sex=fields.pop("sex", "female"),
        **fields,
    )


def make_referral(*, physician, patient=None, case=None, submit=False, today=None) -> Referral:
    """A referral holding the case's answers; submitted (with its evaluation) when asked."""
    case = case or ELIGIBLE_CASE
    patient = patient or make_patient(by=physician)
    referral_answers, level_answers = case_referral_answers(case)
    referral = Referral.objects.create(patient=patient, physician=physician, **referral_answers)
    for position, answers in enumerate(level_answers):
        TargetLevel.objects.create(referral=referral, position=position, **answers)
    if submit:
        referral_submit(referral=referral, by=physician, today=today or dt.date(2026, 11, 24))
        referral.refresh_from_db()
    return referral


def record_decision(referral, *, by, claim=False, **fields) -> ReviewDecision:
    """A decision on the referral's current version through the review services, as `by`
    (who first claims the referral when `claim`); `fields` are decision_record's own."""
    if claim:
        referral_claim(referral=referral, by=by)
    referral.refresh_from_db()
    return decision_record(referral=referral, by=by, expected_version=referral.version, **fields)
