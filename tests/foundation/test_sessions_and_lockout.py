import time

import pytest
from django.urls import reverse

from accounts.middleware import SESSION_LAST_ACTIVITY_KEY, SESSION_STARTED_KEY


def set_session(client, **values):
    session = client.session
    session.update(values)
    session.save()


@pytest.mark.django_db
def test_a_session_idle_for_more_than_30_minutes_is_logged_out(client, physician):
    client.force_login(physician)
    client.get(reverse("home"))
    set_session(client, **{SESSION_LAST_ACTIVITY_KEY: int(time.time()) - 31 * 60})
    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_an_active_session_older_than_12_hours_is_logged_out(client, physician):
    client.force_login(physician)
    client.get(reverse("home"))
    set_session(client, **{SESSION_STARTED_KEY: int(time.time()) - 12 * 3600 - 5})
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_an_active_session_within_limits_stays_logged_in(client, physician):
    client.force_login(physician)
    set_session(client, **{SESSION_LAST_ACTIVITY_KEY: int(time.time()) - 29 * 60})
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_ten_failed_logins_lock_that_username_on_that_ip_with_429(client, make_user):
    make_user(None, username="target")
    make_user(None, username="neighbour")
    for _ in range(10):
        client.post(reverse("login"), {"username": "target", "password": "wrong"})
    locked = client.post(
        reverse("login"), {"username": "target", "password": "a-long-test-password"}
    )
    assert locked.status_code == 429
    # Another user on the same IP is not affected.
    other = client.post(
        reverse("login"), {"username": "neighbour", "password": "a-long-test-password"}
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_pages_carry_csp_without_inline_scripts_and_frame_denial(client, physician):
    client.force_login(physician)
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_background_polling_does_not_keep_an_idle_session_alive(client, physician):
    client.force_login(physician)
    client.get(reverse("home"))
    idle_since = int(time.time()) - 20 * 60
    set_session(client, **{SESSION_LAST_ACTIVITY_KEY: idle_since})
    client.get(reverse("home"), headers={"X-VPSelect-Background": "1"})
    assert client.session[SESSION_LAST_ACTIVITY_KEY] == idle_since
    set_session(client, **{SESSION_LAST_ACTIVITY_KEY: int(time.time()) - 31 * 60})
    assert client.get(reverse("home"), headers={"X-VPSelect-Background": "1"}).status_code == 302


# --- Issue 17, finding 11: a limit per address, and the address behind trusted proxies ---------


@pytest.mark.django_db
def test_an_address_trying_many_usernames_is_refused_with_429_while_others_log_in(
    client, make_user, settings
):
    settings.VPSELECT_LOGIN_IP_FAILURE_LIMIT = 20
    make_user(None, username="real-user")
    for n in range(20):
        client.post(
            reverse("login"),
            {"username": f"guess-{n}", "password": "wrong"},
            REMOTE_ADDR="198.51.100.66",
        )
    refused = client.post(
        reverse("login"),
        {"username": "real-user", "password": "a-long-test-password"},
        REMOTE_ADDR="198.51.100.66",
    )
    assert refused.status_code == 429
    assert "from this network address is paused" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    other = client.post(
        reverse("login"),
        {"username": "real-user", "password": "a-long-test-password"},
        REMOTE_ADDR="198.51.100.77",
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_behind_a_trusted_proxy_a_lockout_is_per_client_and_the_trail_names_the_client(
    client, make_user, settings
):
    from audit.models import AuditEvent

    settings.VPSELECT_TRUSTED_PROXY_COUNT = 1
    make_user(None, username="shared-proxy-user")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(10):
        client.post(
            reverse("login"),
            {"username": "shared-proxy-user", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            **proxy,
        )
    # The attacker's address is locked out; the user, through the same proxy, is not.
    right = {"username": "shared-proxy-user", "password": "a-long-test-password"}
    attacker = client.post(reverse("login"), right, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert attacker.status_code == 429
    user = client.post(reverse("login"), right, HTTP_X_FORWARDED_FOR="192.0.2.44", **proxy)
    assert user.status_code == 302
    failed = AuditEvent.objects.filter(action="login_failed").values_list("ip", flat=True)
    assert set(failed) == {"203.0.113.9"}
    assert AuditEvent.objects.get(action="login").ip == "192.0.2.44"


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_forwarded_header_is_ignored(client, make_user):
    from audit.models import AuditEvent

    make_user(None, username="spoofer")
    client.post(
        reverse("login"),
        {"username": "spoofer", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="192.0.2.1",
        REMOTE_ADDR="198.51.100.5",
    )
    assert AuditEvent.objects.get(action="login_failed").ip == "198.51.100.5"
