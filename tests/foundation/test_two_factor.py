import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import INVALID_CODE
from accounts.roles import Role

PASSWORD = "a-long-test-password"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


@pytest.fixture
def superuser_with_device(make_user):
    user = make_user(None, username="root-admin", superuser=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


@pytest.mark.django_db
def test_superuser_password_alone_does_not_log_in(client, superuser_with_device):
    response = client.post(reverse("login"), {"username": "root-admin", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:otp-verify")
    assert client.get(reverse("home")).status_code == 302  # still anonymous


@pytest.mark.django_db
def test_superuser_with_the_right_code_is_logged_in_and_verified(client, superuser_with_device):
    user, device = superuser_with_device
    client.post(reverse("login"), {"username": "root-admin", "password": PASSWORD})
    response = client.post(reverse("accounts:otp-verify"), {"token": code_for(device)})
    assert response["Location"] == reverse("home")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_code_is_refused_next_to_the_field_and_logs_nobody_in(
    client, superuser_with_device
):
    client.post(reverse("login"), {"username": "root-admin", "password": PASSWORD})
    response = client.post(reverse("accounts:otp-verify"), {"token": "000000"})
    assert response.status_code == 400
    assert str(INVALID_CODE) in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_superuser_without_a_device_must_set_one_up_before_entering(client, make_user):
    make_user(None, username="new-admin", superuser=True)
    response = client.post(reverse("login"), {"username": "new-admin", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:otp-setup")
    page = client.get(reverse("accounts:otp-setup"))
    assert b"data:image/svg+xml;base64," in page.content
    device = TOTPDevice.objects.get(user__username="new-admin", confirmed=False)
    response = client.post(reverse("accounts:otp-setup"), {"token": code_for(device)})
    assert response["Location"] == reverse("home")
    device.refresh_from_db()
    assert device.confirmed


@pytest.mark.django_db
def test_admin_site_refuses_a_superuser_session_without_second_factor(client, make_user):
    admin = make_user(None, username="forced-admin", superuser=True)
    client.force_login(admin)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


@pytest.mark.django_db
def test_physician_logs_in_with_password_only_until_they_turn_on_a_second_factor(client, make_user):
    physician = make_user(Role.PHYSICIAN, username="doc-otp")
    response = client.post(reverse("login"), {"username": "doc-otp", "password": PASSWORD})
    assert response["Location"] == reverse("home")
    client.get(reverse("accounts:otp-setup"))
    device = TOTPDevice.objects.get(user=physician)
    client.post(reverse("accounts:otp-setup"), {"token": code_for(device)})
    client.post(reverse("logout"))
    response = client.post(reverse("login"), {"username": "doc-otp", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:otp-verify")


# --- Finding 1 of issue 17: the second factor could be skipped through the setup page --------


@pytest.mark.django_db
def test_a_pending_login_of_a_user_with_a_device_cannot_enrol_a_new_one(
    client, superuser_with_device
):
    user, _ = superuser_with_device
    client.post(reverse("login"), {"username": "root-admin", "password": PASSWORD})
    page = client.get(reverse("accounts:otp-setup"))
    assert page["Location"] == reverse("accounts:otp-verify")
    assert b"data:image/svg+xml" not in page.content
    response = client.post(reverse("accounts:otp-setup"), {"token": "123456"})
    assert response["Location"] == reverse("accounts:otp-verify")
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert client.get("/admin/").status_code == 302
    assert client.get(reverse("home")).status_code == 302  # still anonymous


@pytest.mark.django_db
def test_a_signed_in_user_with_a_device_cannot_add_another_without_an_administrator(
    client, make_user
):
    physician = make_user(Role.PHYSICIAN, username="doc-has-otp")
    TOTPDevice.objects.create(user=physician, name="phone", confirmed=True)
    client.force_login(physician)
    page = client.get(reverse("accounts:otp-setup"))
    assert b"data:image/svg+xml" not in page.content
    assert "ask an administrator" in page.content.decode()
    response = client.post(reverse("accounts:otp-setup"), {"token": "123456"})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=physician).count() == 1


@pytest.mark.django_db
def test_enrolment_is_its_own_audited_event_and_emails_the_user(
    client, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    from audit.models import AuditEvent

    make_user(None, username="first-admin", superuser=True)
    client.post(reverse("login"), {"username": "first-admin", "password": PASSWORD})
    client.get(reverse("accounts:otp-setup"))
    device = TOTPDevice.objects.get(user__username="first-admin", confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:otp-setup"), {"token": code_for(device)})
    enrolment = AuditEvent.objects.get(action="otp_enrol")
    assert enrolment.username == "first-admin"
    assert enrolment.object_id == str(device.pk)
    assert AuditEvent.objects.filter(action="login", username="first-admin").exists()
    assert [mail.to for mail in mailoutbox] == [["first-admin@example.org"]]
    assert "authenticator" in mailoutbox[0].body


@pytest.mark.django_db
def test_setting_up_again_in_the_same_session_keeps_one_unconfirmed_device(client, make_user):
    make_user(None, username="slow-admin", superuser=True)
    client.post(reverse("login"), {"username": "slow-admin", "password": PASSWORD})
    client.get(reverse("accounts:otp-setup"))
    client.get(reverse("accounts:otp-setup"))
    client.post(reverse("accounts:otp-setup"), {"token": "000000"})
    assert TOTPDevice.objects.filter(user__username="slow-admin").count() == 1


@pytest.mark.django_db
def test_a_wrong_second_factor_code_leaves_a_failed_row_in_the_trail(client, superuser_with_device):
    from audit.models import AuditEvent

    client.post(reverse("login"), {"username": "root-admin", "password": PASSWORD})
    client.post(reverse("accounts:otp-verify"), {"token": "000000"})
    failed = AuditEvent.objects.get(action="otp_failed")
    assert (failed.username, failed.outcome, failed.user_id) == ("root-admin", "failed", None)
