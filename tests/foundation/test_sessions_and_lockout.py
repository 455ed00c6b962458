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
