"""The interface language: the browser's Accept-Language, unless the user saved a choice."""

import pytest
from django.urls import reverse

from accounts.models import Preferences
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

HOME = "/"


def html_lang(response) -> str:
    head = response.content.decode()[:200]
    return head.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_browser_language_is_used_when_the_user_saved_none(client, physician):
    client.force_login(physician)

    italian = client.get(HOME, headers={"accept-language": "it-IT,it;q=0.9"})
    english = client.get(HOME, headers={"accept-language": "en-GB"})

    assert html_lang(italian) == "it"
    assert "Esci" in italian.content.decode()
    assert html_lang(english) == "en"
    assert "Log out" in english.content.decode()


def test_a_user_who_picks_english_keeps_english_whatever_the_browser_says(client, physician):
    client.force_login(physician)

    response = client.post(
        reverse("accounts:language"),
        {"language": "en", "next": "/patients/"},
        headers={"accept-language": "it"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    assert Preferences.objects.get(user=physician).language == "en"
    client.cookies.clear()  # another device: only the saved preference is left
    client.force_login(physician)
    page = client.get(HOME, headers={"accept-language": "it"})
    assert html_lang(page) == "en"
    assert "Log out" in page.content.decode()


def test_a_saved_italian_choice_follows_the_user_to_a_new_login(client, physician):
    Preferences.objects.create(user=physician, language="it")

    client.force_login(physician)
    page = client.get(HOME, headers={"accept-language": "en"})

    assert html_lang(page) == "it"


def test_choosing_the_browser_language_again_clears_the_saved_choice(client, physician):
    Preferences.objects.create(user=physician, language="it")
    client.force_login(physician)

    client.post(reverse("accounts:language"), {"language": ""})
    page = client.get(HOME, headers={"accept-language": "en"})

    assert Preferences.objects.get(user=physician).language == ""
    assert html_lang(page) == "en"


def test_an_unknown_language_is_refused_naming_the_field(client, physician):
    client.force_login(physician)

    response = client.post(reverse("accounts:language"), {"language": "xx"})

    assert response.status_code == 400
    assert "language" in response.content.decode()
    assert not Preferences.objects.filter(user=physician).exists()


def test_an_offsite_next_goes_home_instead(client, physician):
    client.force_login(physician)

    response = client.post(
        reverse("accounts:language"), {"language": "it", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("home")


def test_the_switch_is_post_only_and_needs_login(client, physician):
    assert client.post(reverse("accounts:language"), {"language": "it"}).status_code == 302
    assert not Preferences.objects.exists()
    client.force_login(physician)
    assert client.get(reverse("accounts:language")).status_code == 405


def test_switching_language_is_audited(client, physician):
    client.force_login(physician)
    before = AuditEvent.objects.count()

    client.post(reverse("accounts:language"), {"language": "it"})

    assert AuditEvent.objects.count() > before


def test_the_navigation_offers_the_switch_as_a_post_form(client, physician):
    client.force_login(physician)

    page = client.get(HOME).content.decode()

    switch = page.split('data-testid="language-switch"', 1)[1].split("</form>", 1)[0]
    assert 'name="csrfmiddlewaretoken"' in switch
    assert 'value="it" lang="it"' in switch
    assert 'method="post"' in page.split('data-testid="language-switch"', 1)[0][-200:]
