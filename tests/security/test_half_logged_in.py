"""A session that passed the password step but still owes its second factor (issue 17,
finding 1): every URL pattern of the project is requested, by GET and POST, and only the code
check, logout and the pages anyone may open (login, health probes) answer. Everything else
sends the session back to the login page or refuses it, exactly as for an anonymous visitor.
"""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from .sweep import build_url, load_table, table_entry, url_patterns
from .world import PASSWORD

pytestmark = pytest.mark.django_db

# The pages a half-logged-in session may see: none shows or changes anything of the user's.
MAY_ANSWER = {"login", "logout", "accounts:otp-verify", "healthz", "readyz"}
# The patient's questionnaire pages need no account at all: a personal link opens them (or they
# answer that no link was opened). A half-logged-in session gains nothing there.
MAY_ANSWER |= {
    "outcomes:questionnaire",
    "outcomes:questionnaire-start",
    "outcomes:questionnaire-thanks",
    "outcomes:questionnaire-opt-out",
}
SENT_BACK_TO = ("/accounts/login/", "/admin/login/", "/accounts/two-factor/verify/")
REFUSED = {400, 401, 403, 404, 405}


def _half_logged_in_client(world) -> Client:
    client = Client(raise_request_exception=False)
    username = world.users["superuser"].get_username()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response["Location"] == reverse("accounts:otp-verify")
    return client


def _answered(response) -> bool:
    if response.status_code in (301, 302, 303, 307, 308):
        return not urlsplit(response["Location"]).path.startswith(SENT_BACK_TO)
    return response.status_code not in REFUSED


def test_a_session_owing_its_second_factor_reaches_only_the_code_check_and_logout(world):
    table = load_table()
    client = _half_logged_in_client(world)
    answered = []
    swept = 0
    for pattern in url_patterns():
        found = table_entry(table, pattern.key)
        kind = found[1].get("object") if found else None
        url = build_url(pattern, kind, world, "anonymous", "own")
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url)
            swept += 1
            if pattern.key in MAY_ANSWER:
                continue
            if _answered(response) or b"otpauth" in response.content:
                answered.append(f"{method} {pattern.key} ({url}): {response.status_code}")
        if pattern.key == "logout":
            client = _half_logged_in_client(world)  # logging out ended the pending login
    assert swept > 300
    assert answered == []
    # And the session was never logged in along the way.
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
