"""Hypothesis-generated form posts: never a server error, never a partial write."""

from datetime import date

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from eligibility.models import Evaluation
from patients.models import LEVEL_LABELS, Allergy, Etiology, Patient, Referral, TargetLevel

from .conftest import LEVEL_TRI, REFERRAL_TRI

pytestmark = pytest.mark.django_db

junk = st.text(max_size=12)
any_number = st.one_of(
    st.integers(-5, 120).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
any_date = st.dates().map(lambda value: value.isoformat())


def mostly(valid, *invalid):
    """Usually a valid answer (so some posts are whole, valid referrals), sometimes not."""
    wrong = st.one_of(junk, *invalid)
    return st.integers(0, 24).flatmap(lambda n: wrong if n == 0 else valid)


def _choice(values):
    return mostly(st.sampled_from(["", *values]))


tri_value = mostly(st.sampled_from(["yes", "no", "unknown"]), st.just(""))
nrs_text = mostly(st.one_of(st.just(""), st.integers(0, 10).map(str)), any_number)
percent_text = mostly(st.one_of(st.just(""), st.integers(0, 100).map(str)), any_number)
inr_text = mostly(st.sampled_from(["", "0.9", "1.0", "1.2", "2.5"]), any_number)
platelets_text = mostly(st.sampled_from(["", "0", "45", "240", "151.5"]), any_number)
date_text = mostly(
    st.one_of(st.just(""), st.dates(date(1990, 1, 1), date(2026, 1, 1)).map(date.isoformat)),
    any_date,
)

level_row = st.fixed_dictionaries(
    {
        "level": mostly(st.sampled_from(LEVEL_LABELS), st.just("")),
        "etiology": _choice(Etiology.values),
        "pain_nrs": nrs_text,
        "fracture_date": date_text,
        "canal_compromise_pct": percent_text,
        "DELETE": st.sampled_from(["", "", "", "on"]),
        **{name: tri_value for name in LEVEL_TRI},
    }
)


@st.composite
def intake_bodies(draw):
    body = {name: draw(tri_value) for name in REFERRAL_TRI}
    body.update(
        inr=draw(inr_text),
        platelets=draw(platelets_text),
        allergy_status=draw(_choice(["unknown", "none"])),
        allergies=draw(mostly(st.just([]), st.lists(_choice(Allergy.values), max_size=5))),
        radicular_cause=draw(_choice(["vertebral_collapse", "unrelated_compression"])),
    )
    rows = draw(st.lists(level_row, max_size=3))
    total = draw(mostly(st.just(str(len(rows))), any_number))
    body["levels-TOTAL_FORMS"] = total
    body["levels-INITIAL_FORMS"] = "0"
    for index, row in enumerate(rows):
        for name, value in row.items():
            body[f"levels-{index}-{name}"] = value
    body["action"] = draw(mostly(st.sampled_from(["submit", "submit", "draft", "live"])))
    return body


def _counts():
    return (
        Referral.objects.count(),
        TargetLevel.objects.count(),
        Evaluation.objects.count(),
        Referral.history.count(),
        TargetLevel.history.count(),
    )


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=intake_bodies())
def test_generated_intake_posts_never_fail_and_never_half_save(
    physician_client, physician, make_patient, body
):
    patient = make_patient(physician)
    before = _counts()
    action = body["action"]
    if action == "live":
        url = reverse("patients:referral-live-new", args=[patient.pk])
    else:
        url = reverse("patients:referral-create", args=[patient.pk])
    response = physician_client.post(url, body)
    assert response.status_code < 500
    event(f"{action if action in {'live', 'submit'} else 'draft'}: {response.status_code}")
    referrals = Referral.objects.filter(patient=patient)
    if action == "live":
        assert response.status_code == 200
        assert _counts() == before
    elif action == "submit":
        if response.status_code == 302:
            referral = referrals.get()
            assert referral.status == Referral.Status.SUBMITTED
            assert referral.evaluations.count() == 1
        else:
            assert response.status_code == 400
            assert _counts() == before
    else:
        # A draft keeps what is valid: whatever it stored must itself be valid.
        assert response.status_code in (200, 302)
        referral = referrals.get()
        assert referral.status == Referral.Status.DRAFT
        referral.full_clean(exclude=["patient", "physician"])
        for level in referral.levels.all():
            level.full_clean(exclude=["referral"])
        assert not referral.evaluations.exists()


patient_bodies = st.fixed_dictionaries(
    {
        "mrn": st.one_of(st.text(max_size=40), st.just("FUZZ-1")),
        "given_name": st.text(max_size=110),
        "family_name": st.text(max_size=110),
        "date_of_birth": date_text,
        "sex": _choice(["female", "male", "other"]),
    }
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=patient_bodies)
def test_generated_patient_registrations_never_fail_and_never_half_save(physician_client, body):
    before = Patient.objects.count()
    response = physician_client.post(reverse("patients:patient-create"), body)
    assert response.status_code in (302, 400)
    assert Patient.objects.count() == before + (1 if response.status_code == 302 else 0)
