"""The README's Italian screens: the intake with its verdict and the radiologist's worklist,
as an Italian browser sees them over the demo data (at a desk and on a phone)."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from patients.models import Referral

from .conftest import assert_accessible, publish_docs_image

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Scroll the highest block of the page's content that keeps the date filters in view to the
# top (on a desk, none needs to move).
SHOW_THE_DATE_FILTERS = """() => {
  const below = (element) => element.getBoundingClientRect().bottom + window.scrollY;
  const above = (element) => element.getBoundingClientRect().top + window.scrollY;
  const dates = below([...document.querySelectorAll("input[type=date]")].pop()) + 24;
  const block = [...document.querySelectorAll("main > *")].find(
    (element) => dates - above(element) + 12 <= window.innerHeight);
  if (block && dates > window.innerHeight) {
    window.scrollTo({top: above(block) - 12, behavior: "instant"});  // not Bootstrap's smooth
  }
}"""

PASSWORDS = {"physician": "demo-physician-2026", "radiologist": "demo-radiologist-2026"}


@pytest.fixture
def demo_data(reason_codes):
    from io import StringIO

    call_command("seed_demo", stdout=StringIO())


def _italian_page(browser, base: str, username: str):
    context = browser.new_context(locale="it-IT", extra_http_headers={"Accept-Language": "it"})
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORDS[username])
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    return context, page


def test_the_intake_and_the_worklist_in_italian(
    italian_browser, live_server, demo_data, artifacts_dir
):
    editable = Referral.objects.filter(
        status=Referral.Status.DRAFT, physician__username="physician"
    ).first()
    assert editable is not None, "the demo data has a draft referral"

    context, page = _italian_page(italian_browser, live_server.url, "physician")
    response = page.goto(f"{live_server.url}/referrals/{editable.pk}/edit/")
    page.wait_for_load_state("networkidle")  # the unread badge arrives by htmx after the page
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("button", name="Esci").is_visible()
    for width, height, name in ((1366, 900, "intake-it.png"), (390, 844, "intake-it-phone.png")):
        page.set_viewport_size({"width": width, "height": height})
        shot = artifacts_dir / name
        page.screenshot(path=str(shot), full_page=False)
        publish_docs_image(shot, name)
    assert_accessible(page, "Italian intake")
    context.close()

    context, page = _italian_page(italian_browser, live_server.url, "radiologist")
    response = page.goto(f"{live_server.url}/reviews/")
    page.wait_for_load_state("networkidle")  # the unread badge arrives by htmx after the page
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("button", name="Esci").is_visible()
    for width, height, name in (
        (1366, 900, "worklist-it.png"),
        (390, 844, "worklist-it-phone.png"),
    ):
        page.set_viewport_size({"width": width, "height": height})
        # On a phone the date filters sit below the fold: bring them up, they show gg/mm/aaaa.
        page.evaluate(SHOW_THE_DATE_FILTERS)
        expect(page.locator("input[type=date]").last).to_be_in_viewport(ratio=1)
        shot = artifacts_dir / name
        page.screenshot(path=str(shot), full_page=False)
        publish_docs_image(shot, name)
    assert_accessible(page, "Italian worklist")
    context.close()
