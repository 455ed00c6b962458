"""The one mapping between stored answers and the engine's case (patients/cases.py)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.engine.facts import CASE_FIELDS, LEVEL_FIELDS, PATIENT_FIELDS
from patients.cases import LEVEL_FIELDS as MAPPED_LEVEL_FIELDS
from patients.cases import REFERRAL_FIELDS, case_referral_answers, referral_case
from patients.models import LEVEL_LABELS, Allergy, Etiology, RadicularCause, Referral

from .conftest import load_example, shared_examples

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)


def test_every_case_field_has_a_model_field():
    assert set(CASE_FIELDS) == {*REFERRAL_FIELDS, "assessed_on", "patient", "levels"}
    assert MAPPED_LEVEL_FIELDS == LEVEL_FIELDS
    assert PATIENT_FIELDS == ("sex", "date_of_birth")
    model_fields = {field.name for field in Referral._meta.get_fields()}
    assert set(REFERRAL_FIELDS) <= model_fields


def _store(case, patient, physician, make_referral):
    return Referral.objects.get(pk=make_referral(patient, physician, case).pk)


FULL_CASE = {
    "pain_controlled_by_medical_therapy": True,
    "coagulopathy": True,
    "coagulopathy_corrected": False,
    "inr": 1.35,
    "platelets": 48.5,
    "systemic_infection": False,
    "local_infection": True,
    "allergies": ["cement", "contrast", "anesthetic", "other"],
    "radicular_pain": True,
    "radicular_cause": "unrelated_compression",
    "levels": [
        {
            "level": "T7",
            "etiology": "metastasis",
            "pain_nrs": 6,
            "fracture": False,
            "fracture_date": "2025-09-30",
            "imaging_acute": False,
            "high_fracture_risk": True,
            "osteomyelitis": True,
            "canal_compromise_pct": 22.5,
            "epidural_extension": True,
        },
        {
            "level": "L1",
            "etiology": None,
            "pain_nrs": None,
            "fracture": None,
            "fracture_date": None,
            "imaging_acute": None,
            "high_fracture_risk": None,
            "osteomyelitis": None,
            "canal_compromise_pct": None,
            "epidural_extension": None,
        },
    ],
}


def test_every_field_survives_case_to_model_to_case(physician, make_patient, make_referral):
    patient = make_patient(physician, sex="male", date_of_birth=date(1950, 1, 2))
    referral = _store(FULL_CASE, patient, physician, make_referral)
    case = referral_case(referral, assessed_on=TODAY)
    assert case == {
        "assessed_on": TODAY.isoformat(),
        "patient": {"sex": "male", "date_of_birth": "1950-01-02"},
        **FULL_CASE,
    }


def test_every_field_survives_model_to_case_to_model(physician, make_patient, make_referral):
    referral = _store(FULL_CASE, make_patient(physician), physician, make_referral)
    answers, levels = case_referral_answers(referral_case(referral))
    for name in REFERRAL_FIELDS:
        assert answers[name] == getattr(referral, name), name
    for stored, mapped in zip(referral.levels.all(), levels, strict=True):
        for name in LEVEL_FIELDS:
            assert mapped[name] == getattr(stored, name), name


@pytest.mark.parametrize("example", shared_examples(), ids=lambda path: path.stem)
def test_shared_examples_survive_the_round_trip(physician, make_patient, make_referral, example):
    case = load_example(example)["case"]
    patient = make_patient(
        physician,
        sex=case["patient"]["sex"],
        date_of_birth=date.fromisoformat(case["patient"]["date_of_birth"]),
    )
    referral = _store(case, patient, physician, make_referral)
    assessed_on = date.fromisoformat(case["assessed_on"])
    assert referral_case(referral, assessed_on=assessed_on) == case


def _decimal(places: int, low: str, high: str):
    return st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False
    ).map(lambda value: float(value) if value != value.to_integral_value() else int(value))


tri = st.sampled_from([True, False, None])
level_strategy = st.fixed_dictionaries(
    {
        "etiology": st.sampled_from([*Etiology.values, None]),
        "pain_nrs": st.one_of(st.none(), st.integers(0, 10)),
        "fracture": tri,
        "fracture_date": st.one_of(
            st.none(), st.dates(date(1951, 1, 1), TODAY).map(date.isoformat)
        ),
        "imaging_acute": tri,
        "high_fracture_risk": tri,
        "osteomyelitis": tri,
        "canal_compromise_pct": st.one_of(st.none(), _decimal(1, "0", "100")),
        "epidural_extension": tri,
    }
)
case_strategy = st.fixed_dictionaries(
    {
        "pain_controlled_by_medical_therapy": tri,
        "coagulopathy": tri,
        "coagulopathy_corrected": tri,
        # An INR is always written with its decimal (see patients/cases.py).
        "inr": st.one_of(st.none(), _decimal(2, "0.01", "999.99").map(float)),
        "platelets": st.one_of(st.none(), _decimal(1, "0", "99999.9")),
        "systemic_infection": tri,
        "local_infection": tri,
        "allergies": st.one_of(
            st.none(),
            st.sets(st.sampled_from(Allergy.values)).map(
                lambda chosen: [value for value in Allergy.values if value in chosen]
            ),
        ),
        "radicular_pain": tri,
        "radicular_cause": st.sampled_from([*RadicularCause.values, None]),
        "levels": st.lists(
            st.tuples(st.sampled_from(LEVEL_LABELS), level_strategy),
            min_size=1,
            max_size=4,
            unique_by=lambda pair: pair[0],
        ).map(lambda pairs: [{"level": label, **answers} for label, answers in pairs]),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=case_strategy)
def test_any_valid_case_survives_the_round_trip(physician, make_patient, make_referral, case):
    patient = make_patient(physician, date_of_birth=date(1950, 1, 1))
    referral = _store(case, patient, physician, make_referral)
    stored = referral_case(referral, assessed_on=TODAY)
    assert stored == {
        "assessed_on": TODAY.isoformat(),
        "patient": {"sex": "female", "date_of_birth": "1950-01-01"},
        **case,
    }
