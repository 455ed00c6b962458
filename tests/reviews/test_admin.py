import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from reviews.models import ReasonCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    """A superuser logged in with both steps (password, then a TOTP code)."""
    user = make_user(None, username="review-admin", superuser=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.post(reverse("login"), {"username": user.username, "password": "a-long-test-password"})
    client.post(reverse("accounts:otp-verify"), {"token": f"{totp(device.bin_key):06d}"})
    return client


def test_the_seeded_reason_codes_cover_each_kind():
    kinds = set(ReasonCode.objects.filter(active=True).values_list("kind", flat=True))
    assert kinds == {"decline", "information", "override"}
    assert ReasonCode.objects.get(code="needs-mri-stir").label == (
        "Please send an MRI with STIR sequence"
    )


def test_an_administrator_adds_a_reason_code_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:reviews_reasoncode_add"),
        {
            "code": "needs-bone-scan",
            "label": "Please send a bone scan",
            "kind": "information",
            "active": "on",
            "position": "9",
        },
    )

    assert response.status_code == 302
    assert ReasonCode.objects.get(code="needs-bone-scan").kind == "information"


@pytest.mark.parametrize(
    "model", ["reviewdecision", "countersignature", "notification", "outboxmessage"]
)
def test_signed_records_are_listed_read_only_in_the_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:reviews_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:reviews_{model}_add")).status_code == 403
