"""Every page each role reaches, at a desk and on a phone: no serious or critical axe-core
violation (WCAG 2.2 AA). The pages are found by following the links a user can follow from
the home page over the demo data that `make run` shows, one page of each kind."""

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django_otp.oath import totp

from accounts.demo import DEMO_ADMIN_TOTP_KEY

from .conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)
# Links that leave the page for a file or act rather than show a page.
NOT_PAGES = (
    "logout",
    ".csv",
    ".svg",
    ".pdf",
    "/pdf/",
    "download",
    "/open",
    "/api/",
    "/admin/",
    "/static/",
)
MAX_PAGES = 40

DEMO = {
    "physician": "demo-physician-2026",
    "radiologist": "demo-radiologist-2026",
    "radiologist2": "demo-radiologist2-2026",
    "staff": "demo-staff-2026",
    "admin": "demo-admin-2026",
}


@pytest.fixture
def demo_data(reason_codes):
    from io import StringIO

    call_command("seed_demo", stdout=StringIO())


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO[username])
    page.get_by_role("button", name="Log in").click()
    if "/two-factor/" in page.url:
        page.locator("input[name=token]").fill(f"{totp(bytes.fromhex(DEMO_ADMIN_TOTP_KEY)):06d}")
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/")


def _kind(path: str) -> str | None:
    """One page of each kind: the URL pattern's name (ids differ, the page does not)."""
    try:
        return resolve(path.split("?")[0]).view_name
    except Resolver404:
        return None


def _reachable_pages(page, base: str) -> list[str]:
    """Follow same-site links from the home page, breadth first, one URL per page kind."""
    queue, kinds, pages = ["/"], set(), []
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        kind = _kind(path)
        if kind is None or kind in kinds:
            continue
        response = page.goto(base + path)
        if response is None or response.status != 200:
            continue
        kinds.add(kind)
        pages.append(path)
        hrefs = page.eval_on_selector_all(
            "a[href^='/']", "links => links.map((a) => a.getAttribute('href'))"
        )
        queue.extend(
            href.split("#")[0] for href in hrefs if not any(part in href for part in NOT_PAGES)
        )
    return pages


@pytest.mark.parametrize("username", ["physician", "radiologist", "radiologist2", "staff", "admin"])
def test_every_page_a_role_reaches_has_no_serious_accessibility_violation(
    page, live_server, demo_data, username
):
    base = live_server.url
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    _log_in(page, base, username)
    pages = _reachable_pages(page, base)
    assert len(pages) >= 4, pages  # home, lists, detail pages: the crawl really went somewhere
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in pages:
            page.goto(base + path)
            found.extend(f"{width} px {path}: {v}" for v in axe_violations(page))
    assert not found, "\n".join(found)
