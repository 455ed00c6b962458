"""Issue 17, finding 2: an IT account is not a clinician. A superuser without membership of
the clinical group cannot decide, claim or countersign, by the page or by the service."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.roles import Role
from patients.models import Referral
from reviews.models import Countersignature, ReviewDecision
from reviews.services import decision_countersign, decision_record, referral_claim

from .conftest import accept_over_infection, decision_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def it_admin(make_user):
    return make_user(None, username="it-admin", superuser=True)


def test_a_superuser_cannot_countersign_an_override_of_an_absolute_contraindication(
    client, radiologist, it_admin, submitted
):
    decision = accept_over_infection(submitted("not_eligible"), radiologist, claim=True)
    client.force_login(it_admin)

    response = client.post(
        reverse("reviews:countersign", args=[decision.pk]), {"comment": "I am the 2nd IR"}
    )

    assert response.status_code == 403
    assert not Countersignature.objects.exists()
    with pytest.raises(PermissionDenied):
        decision_countersign(decision=decision, by=it_admin, comment="Agreed.")
    assert not Countersignature.objects.exists()


def test_a_superuser_cannot_claim_or_decide_a_referral(client, it_admin, submitted):
    referral = submitted("eligible")
    client.force_login(it_admin)

    assert client.post(reverse("reviews:claim", args=[referral.pk])).status_code == 403
    response = client.post(
        reverse("reviews:decide", args=[referral.pk]),
        decision_post(referral, outcome="accept", levels_to_treat=["L2"]),
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        referral_claim(referral=referral, by=it_admin)
    with pytest.raises(PermissionDenied):
        decision_record(
            referral=referral,
            by=it_admin,
            expected_version=referral.version,
            outcome="accept",
            levels_to_treat=["L2"],
        )
    assert not ReviewDecision.objects.exists()
    assert Referral.objects.get(pk=referral.pk).assigned_radiologist_id is None


def test_the_review_page_offers_a_superuser_no_clinical_action(client, it_admin, submitted):
    referral = submitted("eligible")
    client.force_login(it_admin)
    page = client.get(reverse("reviews:review", args=[referral.pk])).content.decode()
    assert "Start review" not in page
    assert "only clinicians" in page


def test_a_superuser_who_is_also_a_radiologist_decides_as_the_radiologist(
    client, make_user, submitted
):
    doctor_admin = make_user(Role.RADIOLOGIST, username="ir-admin", superuser=True)
    referral = submitted("eligible")
    client.force_login(doctor_admin)
    assert client.post(reverse("reviews:claim", args=[referral.pk])).status_code == 302
    referral.refresh_from_db()
    assert referral.assigned_radiologist_id == doctor_admin.pk


def test_a_superuser_cannot_register_a_patient_or_write_a_referral(client, it_admin, physician):
    from tests.factories import make_patient

    patient = make_patient(by=physician)
    client.force_login(it_admin)
    assert client.get(reverse("patients:patient-create")).status_code == 403
    assert client.post(reverse("patients:patient-create"), {}).status_code == 403
    assert client.post(reverse("patients:referral-create", args=[patient.pk])).status_code == 403
    assert not Referral.objects.exists()
