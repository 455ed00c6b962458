"""Issue 17, findings 3 and 6: who may change a patient's identification, and registering an
MRN another physician holds (a neutral message, audited with the MRN hashed, rate-limited)."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import mrn_digest
from patients import forms, selectors
from patients.models import Patient
from tests.factories import make_patient, make_referral

pytestmark = pytest.mark.django_db


def _identity(**changes) -> dict:
    data = {
        "mrn": "ID-NEW",
        "given_name": "Ingrid",
        "family_name": "Solberg",
        "date_of_birth": "1944-07-01",
        "sex": "female",
    }
    return {**data, **changes}


@pytest.fixture
def other_physician(make_user):
    return make_user(Role.PHYSICIAN, username="dr-other")


def test_a_physician_who_only_referred_a_patient_cannot_change_their_identification(
    client, physician, other_physician
):
    patient = make_patient(by=other_physician, mrn="ID-1", family_name="Original")
    make_referral(physician=physician, patient=patient)
    client.force_login(physician)
    url = reverse("patients:patient-update", args=[patient.pk])

    assert client.get(url).status_code == 403
    response = client.post(url, _identity(mrn="ID-1", family_name="Rewritten"))

    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.family_name == "Original"


def test_the_registering_physician_and_an_administrator_may_change_identification(
    client, physician, make_user
):
    patient = make_patient(by=physician, mrn="ID-2")
    client.force_login(make_user(None, username="id-admin", superuser=True))
    response = client.post(
        reverse("patients:patient-update", args=[patient.pk]), _identity(mrn="ID-2")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Solberg"


def test_registering_another_physicians_mrn_says_so_neutrally_and_audits_the_hashed_mrn(
    client, physician, other_physician
):
    make_patient(by=other_physician, mrn="HELD-9")
    client.force_login(physician)

    response = client.post(reverse("patients:patient-create"), _identity(mrn="HELD-9"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "ask an administrator to give you access" in page
    assert str(forms.MRN_TAKEN) not in page
    assert Patient.objects.count() == 1
    refused = AuditEvent.objects.get(action="mrn_refused")
    assert refused.user == physician
    assert refused.details == {"mrn_hash": mrn_digest("HELD-9")}


def test_after_too_many_refused_mrns_registration_answers_429_and_saves_nothing(
    client, physician, other_physician
):
    for n in range(selectors.MRN_REFUSAL_LIMIT):
        make_patient(by=other_physician, mrn=f"HELD-{n}")
    client.force_login(physician)
    for n in range(selectors.MRN_REFUSAL_LIMIT):
        client.post(reverse("patients:patient-create"), _identity(mrn=f"HELD-{n}"))

    response = client.post(reverse("patients:patient-create"), _identity(mrn="FREE-1"))

    assert response.status_code == 429
    assert not Patient.objects.filter(mrn="FREE-1").exists()
    # A free MRN is still accepted from a physician who has not been probing.
    client.force_login(other_physician)
    assert (
        client.post(reverse("patients:patient-create"), _identity(mrn="FREE-1")).status_code == 302
    )
