"""Test data built through the real services: patients and referrals from engine cases."""

import copy
import datetime as dt
import itertools

from patients.cases import case_referral_answers
from patients.models import Referral, TargetLevel
from patients.services import patient_create, referral_submit

_mrn = itertools.count(1)

ELIGIBLE_CASE = {
    "assessed_on": "2026-11-20",
    "patient": {"sex": "female", "date_of_birth": "1946-03-14"},
    "pain_controlled_by_medical_therapy": False,
    "coagulopathy": False,
    "coagulopathy_corrected": None,
    "inr": 1.0,
    "platelets": 240,
    "systemic_infection": False,
    "local_infection": False,
    "allergies": [],
    "radicular_pain": False,
    "radicular_cause": None,
    "levels": [
        {
            "level": "L2",
            "etiology": "osteoporosis",
            "pain_nrs": 9,
            "fracture": True,
            "fracture_date": "2026-10-02",
            "imaging_acute": True,
            "high_fracture_risk": None,
            "osteomyelitis": False,
            "canal_compromise_pct": 5,
            "epidural_extension": None,
        }
    ],
}


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
