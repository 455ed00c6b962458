"""A browser asking for Italian gets Italian pages (lang="it"); a user who picked English keeps
English whatever the browser asks for."""

import pytest

from accounts.models import Preferences
from accounts.roles import Role

from .conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_an_italian_browser_sees_italian_pages(browser, live_server, make_user, artifacts_dir):
    make_user(Role.RADIOLOGIST, username="ir-it")
    context = browser.new_context(locale="it-IT", extra_http_headers={"Accept-Language": "it"})
    page = context.new_page()

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("heading", name="Accedi a VPSelect").is_visible()
    _log_in(page, live_server.url, "ir-it")

    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("link", name="Apri la worklist").is_visible()
    assert page.get_by_role("button", name="Esci").is_visible()
    assert_accessible(page, "home in Italian")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts_dir / f"home-it-{width}.png"), full_page=True)
        page.goto(f"{live_server.url}/outcomes/")
        page.screenshot(path=str(artifacts_dir / f"procedures-it-{width}.png"), full_page=True)
        page.goto(f"{live_server.url}/")
    context.close()


def test_a_user_who_picked_english_keeps_english_in_an_italian_browser(
    browser, live_server, make_user
):
    user = make_user(Role.PHYSICIAN, username="dr-en")
    Preferences.objects.create(user=user, language="en")
    context = browser.new_context(locale="it-IT", extra_http_headers={"Accept-Language": "it"})
    page = context.new_page()

    _log_in(page, live_server.url, "dr-en")

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Log out").is_visible()
    page.get_by_role("button", name="Italiano").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "it"
    assert Preferences.objects.get(user=user).language == "it"
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()
