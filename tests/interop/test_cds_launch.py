from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.roles import Role
from audit.models import AuditEvent
from interop.models import CdsLaunch
from interop.services import (
    LAUNCH_EXPIRED,
    LAUNCH_PATIENT_INCOMPLETE,
    LAUNCH_PATIENT_MISMATCH,
)
from patients.models import Patient, Referral
from patients.services import patient_create


def _launch_path(card: dict) -> str:
    url = card["links"][0]["url"]
    return url.removeprefix("http://testserver")


@pytest.fixture
def launch_card(post_hook, hook_body):
    """Issue a card for the eligible sample request; returns a function to issue others."""

    def issue(fixture: str = "order-sign-eligible.json", change=None) -> dict:
        body = hook_body(fixture)
        if change is not None:
            change(body)
        (card,) = post_hook(body).json()["cards"]
        return card

    return issue


@pytest.mark.django_db
def test_launch_link_creates_a_draft_referral_for_the_physician_with_the_ehr_answers(
    client, physician, launch_card
):
    card = launch_card()
    client.force_login(physician)
    response = client.get(_launch_path(card))
    referral = Referral.objects.select_related("patient").get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:referral-edit", args=[referral.pk])
    assert (referral.physician, referral.status) == (physician, Referral.Status.DRAFT)
    assert referral.assessed_on is None
    assert (referral.patient.mrn, referral.patient.family_name) == ("EHR-1288992", "Chalmers")
    assert referral.patient.date_of_birth == date(1946, 3, 14)
    assert (referral.systemic_infection, referral.allergies, float(referral.inr)) == (
        False,
        [],
        1.0,
    )
    (level,) = referral.levels.all()
    assert (level.level, level.etiology, level.pain_nrs, level.fracture) == (
        "L2",
        "osteoporosis",
        9,
        True,
    )
    assert level.fracture_date is None  # not in the EHR's data: unknown, to be answered
    launch = CdsLaunch.objects.get()
    assert (launch.referral, launch.used_by) == (referral, physician)
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="patients.referral", user=physician
    )
    assert str(referral.pk) in events.values_list("object_id", flat=True)


@pytest.mark.django_db
def test_launch_url_and_redirect_contain_no_phi(client, physician, launch_card):
    card = launch_card()
    client.force_login(physician)
    response = client.get(_launch_path(card))
    for url in (card["links"][0]["url"], response["Location"]):
        for phi in ("EHR-1288992", "Chalmers", "Peter", "1946", "1288992"):
            assert phi not in url


@pytest.mark.django_db
def test_opening_the_link_again_goes_to_the_same_referral(client, physician, launch_card):
    card = launch_card()
    client.force_login(physician)
    first = client.get(_launch_path(card))
    second = client.get(_launch_path(card))
    assert first["Location"] == second["Location"]
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_another_physician_cannot_open_a_used_link(client, make_user, launch_card):
    card = launch_card()
    client.force_login(make_user(Role.PHYSICIAN))
    client.get(_launch_path(card))
    client.force_login(make_user(Role.PHYSICIAN))
    assert client.get(_launch_path(card)).status_code == 404


@pytest.mark.django_db
def test_existing_patient_with_the_mrn_is_reused(client, physician, launch_card):
    patient = patient_create(
        by=physician,
        mrn="EHR-1288992",
        given_name="Peter",
        family_name="CHALMERS",
        date_of_birth=date(1946, 3, 14),
        sex="female",
    )
    client.force_login(physician)
    client.get(_launch_path(launch_card()))
    assert Referral.objects.get().patient == patient
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_mrn_of_a_different_registered_patient_stops_the_launch(client, physician, launch_card):
    patient_create(
        by=physician,
        mrn="EHR-1288992",
        given_name="Someone",
        family_name="Else",
        date_of_birth=date(1950, 1, 1),
        sex="male",
    )
    client.force_login(physician)
    response = client.get(_launch_path(launch_card()))
    assert response.status_code == 409
    assert escape(LAUNCH_PATIENT_MISMATCH) in response.content.decode()
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_launch_without_patient_details_explains_instead_of_creating(
    client, physician, launch_card
):
    card = launch_card(change=lambda body: body["prefetch"].pop("patient"))
    client.force_login(physician)
    response = client.get(_launch_path(card))
    assert response.status_code == 422
    assert escape(LAUNCH_PATIENT_INCOMPLETE) in response.content.decode()
    assert not Referral.objects.exists() and not Patient.objects.exists()


@pytest.mark.django_db
def test_expired_link_is_refused(client, physician, launch_card):
    card = launch_card()
    CdsLaunch.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(physician)
    response = client.get(_launch_path(card))
    assert response.status_code == 410
    assert escape(LAUNCH_EXPIRED) in response.content.decode()


@pytest.mark.django_db
def test_launch_needs_login_and_the_physician_role(client, make_user, launch_card):
    path = _launch_path(launch_card())
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(make_user(Role.RADIOLOGIST))
    assert client.get(path).status_code == 403
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_unknown_launch_is_404(client, physician):
    client.force_login(physician)
    path = reverse("interop:cds-launch", args=["00000000-0000-0000-0000-000000000001"])
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_launch_of_an_order_without_levels_makes_a_draft_to_complete(
    client, physician, launch_card
):
    def no_levels(body):
        del body["context"]["draftOrders"]["entry"][0]["resource"]["bodySite"]

    card = launch_card(change=no_levels)
    client.force_login(physician)
    assert client.get(_launch_path(card)).status_code == 302
    referral = Referral.objects.get()
    assert referral.levels.count() == 0
    assert referral.systemic_infection is False


# --- Issue 17, findings 3 and 6: a launch never hands over another physician's patient ---------


@pytest.mark.django_db
def test_a_launch_for_another_physicians_patient_refuses_neutrally_and_audits_a_hashed_mrn(
    client, physician, make_user, launch_card
):
    from interop.services import LAUNCH_PATIENT_NOT_SHARED

    other = make_user(Role.PHYSICIAN, username="dr-other")
    theirs = patient_create(
        by=other,
        mrn="EHR-1288992",
        given_name="Peter",
        family_name="Chalmers",
        date_of_birth=date(1946, 3, 14),
        sex="female",
    )
    client.force_login(physician)
    response = client.get(_launch_path(launch_card()))

    assert response.status_code == 409
    page = response.content.decode()
    assert escape(LAUNCH_PATIENT_NOT_SHARED) in page
    assert "already registered" not in page
    assert not Referral.objects.exists()
    assert client.get(reverse("patients:patient-detail", args=[theirs.pk])).status_code == 404
    refused = AuditEvent.objects.get(action="mrn_refused")
    assert refused.user == physician and len(refused.details["mrn_hash"]) == 64
    assert "EHR-1288992" not in str(refused.details)


# --- Issue 19, item 6: found by mypy (a FHIR given name may be a null with only an extension) --


@pytest.mark.django_db
def test_a_given_name_part_carried_only_by_an_extension_is_left_out_of_the_launch(
    client, physician, launch_card
):
    def initial_as_extension(body):
        (name,) = body["prefetch"]["patient"]["name"]
        name["given"] = ["Peter", None]
        name["_given"] = [
            None,
            {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier",
                        "valueCode": "IN",
                    }
                ]
            },
        ]

    card = launch_card(change=initial_as_extension)
    client.force_login(physician)
    response = client.get(_launch_path(card))
    assert response.status_code == 302
    assert Referral.objects.select_related("patient").get().patient.given_name == "Peter"
