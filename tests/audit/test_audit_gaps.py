"""Issue 17, finding 9 (the CDS part aside): list pages, posted searches and admin pages name in
the trail the patients they showed. (Failed second-factor codes and enrolment:
tests/foundation/test_two_factor.py.)"""

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.factories import make_patient, make_referral

pytestmark = pytest.mark.django_db


def _event(path: str) -> AuditEvent:
    return AuditEvent.objects.filter(path=path).latest("id")


def test_the_patient_list_names_the_patients_it_shows(client, physician):
    shown = [make_patient(by=physician, mrn=f"GAP-{n}") for n in range(3)]
    client.force_login(physician)
    client.get(reverse("patients:patient-list"))
    event = _event(reverse("patients:patient-list"))
    assert event.details["patient_ids"] == sorted(patient.pk for patient in shown)
    assert event.details["searched"] is False


def test_a_posted_referral_search_names_the_patients_found_but_not_the_terms(client, physician):
    found = make_patient(by=physician, family_name="Searchable", mrn="GAP-A")
    make_patient(by=physician, family_name="Other", mrn="GAP-B")
    make_referral(physician=physician, patient=found)
    client.force_login(physician)
    client.post(reverse("patients:referral-list"), {"q": "Searchable"})
    event = _event(reverse("patients:referral-list"))
    assert event.details["patient_ids"] == [found.pk]
    assert event.details["searched"] is True
    assert "Searchable" not in str(event.details)


def test_the_worklist_names_the_patients_of_its_rows(client, physician, radiologist):
    patient = make_patient(by=physician, mrn="GAP-W")
    make_referral(physician=physician, patient=patient, submit=True)
    client.force_login(radiologist)
    client.get(reverse("reviews:worklist"))
    assert _event(reverse("reviews:worklist")).details["patient_ids"] == [patient.pk]


def test_an_admin_page_showing_a_patient_or_referral_is_tied_to_that_patient(
    client, make_user, physician
):
    admin_user = make_user(None, username="gap-admin", superuser=True)
    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    patient = make_patient(by=physician, mrn="GAP-ADMIN")
    referral = make_referral(physician=physician, patient=patient)

    pages = [
        reverse("admin:patients_patient_change", args=[patient.pk]),
        reverse("admin:patients_patient_history", args=[patient.pk]),
        reverse("admin:patients_referral_change", args=[referral.pk]),
    ]
    for page in pages:
        assert client.get(page).status_code == 200
        assert _event(page).patient_id == patient.pk, page


def test_an_admin_list_of_patients_or_referrals_names_the_patients_it_shows(
    client, make_user, physician
):
    admin_user = make_user(None, username="gap-admin-list", superuser=True)
    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    first = make_patient(by=physician, mrn="GAP-L1")
    second = make_patient(by=physician, mrn="GAP-L2")
    make_referral(physician=physician, patient=second)

    for page, shown in [
        (reverse("admin:patients_patient_changelist"), [first.pk, second.pk]),
        (reverse("admin:patients_referral_changelist"), [second.pk]),
    ]:
        assert client.get(page).status_code == 200
        assert _event(page).details["patient_ids"] == sorted(shown), page
