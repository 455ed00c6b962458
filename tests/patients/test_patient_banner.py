"""The patient banner: name, age, sex, MRN, allergies and the flags a clinician must not miss,
on every patient-specific page, from one selector."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.selectors import age_on, patient_banner
from tests.factories import case_with, make_patient, make_referral, record_decision

pytestmark = pytest.mark.django_db

BORN = dt.date(1946, 3, 14)
FLAGGED_CASE = case_with(
    systemic_infection=True,
    allergies=["contrast"],
    coagulopathy=True,
    coagulopathy_corrected=False,
)


def banner_of(page: str) -> str:
    start = page.index('data-testid="patient-banner"')
    return page[start : page.index("</section>", start)]


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def patient(physician):
    return make_patient(
        by=physician, given_name="Ada", family_name="Bannerman", mrn="MRN-BAN-1", date_of_birth=BORN
    )


@pytest.fixture
def flagged(physician, patient):
    return make_referral(physician=physician, patient=patient, case=FLAGGED_CASE, submit=True)


@pytest.fixture
def accepted(physician, radiologist, patient):
    referral = make_referral(physician=physician, patient=patient, submit=True)
    record_decision(referral, by=radiologist, claim=True, outcome="accept", levels_to_treat=["L2"])
    referral.refresh_from_db()
    return referral


def test_age_counts_whole_years_to_the_day():
    assert age_on(BORN, dt.date(2026, 3, 13)) == 79
    assert age_on(BORN, dt.date(2026, 3, 14)) == 80


def test_the_banner_names_allergies_and_flags_from_the_referral(flagged, patient):
    flagged.refresh_from_db()

    banner = patient_banner(patient=patient, referral=flagged, today=dt.date(2026, 12, 4))

    assert (banner.name, banner.age, banner.sex, banner.mrn) == (
        "Ada Bannerman",
        80,
        "Female",
        "MRN-BAN-1",
    )
    assert banner.allergies == "Contrast medium" and banner.allergies_known
    flags = [(flag.text, flag.severity) for flag in banner.flags]
    assert ("Coagulopathy (not corrected)", "danger") in flags
    assert ("Systemic infection", "danger") in flags
    assert any(
        text.startswith("Absolute contraindication met: ") and severity == "danger"
        for text, severity in flags
    )


def test_a_patient_without_a_referral_has_allergies_not_recorded(patient):
    banner = patient_banner(patient=patient, referral=None, today=dt.date(2026, 12, 4))

    assert banner.allergies is None and banner.flags == []


def test_an_eligible_referral_has_no_flags_and_no_known_allergy(accepted, patient):
    banner = patient_banner(patient=patient, referral=accepted, today=dt.date(2026, 12, 4))

    assert banner.flags == [] and banner.allergies == "None known"
    assert not banner.allergies_known


@pytest.mark.parametrize(
    ("role", "url_name", "referral_kind"),
    [
        ("physician", "patients:patient-detail", "patient"),
        ("physician", "patients:referral-detail", "flagged"),
        ("physician", "patients:referral-edit", "draft"),
        ("radiologist", "reviews:review", "flagged"),
        ("radiologist", "outcomes:referral-outcome", "accepted"),
        ("clinic_staff", "summaries:referral-summary", "flagged"),
    ],
)
def test_every_patient_page_shows_the_banner(
    request, client, physician, patient, flagged, role, url_name, referral_kind
):
    if referral_kind == "patient":
        target = patient.pk
    elif referral_kind == "draft":
        target = make_referral(physician=physician, patient=patient, case=FLAGGED_CASE).pk
    else:
        target = request.getfixturevalue(referral_kind).pk
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse(url_name, args=[target]))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="patient-banner"') == 1
    banner = words(banner_of(page))
    age = age_on(BORN, timezone.localdate())
    assert "Ada Bannerman" in banner and f"{age} years, Female" in banner
    assert "MRN MRN-BAN-1" in banner
    if referral_kind == "accepted":
        assert "Allergies: None known" in banner
        assert 'data-testid="banner-flag"' not in banner_of(page)
    else:
        # The patient page reads the newest referral (the draft or the flagged one): both
        # answer contrast medium.
        assert "Allergies: Contrast medium" in banner
        assert "Systemic infection" in banner and "Coagulopathy (not corrected)" in banner
