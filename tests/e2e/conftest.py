"""Browser tests: Playwright drives Debian's Chromium against Django's live server."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (fixtures creating data) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make test` (installs it) or set CHROMIUM_PATH."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def login(live_server):
    """Log a user in through the real login form."""

    def do_login(page, username: str, password: str = "a-long-test-password"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

    return do_login


DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def publish_docs_image(screenshot: Path, name: str) -> bool:
    """Copy a screenshot over the README's picture, only when asked (`make docs-images`).

    A plain test run leaves the tracked pictures alone, so it does not dirty the checkout.
    """
    if os.environ.get("VPSELECT_UPDATE_DOCS_IMAGES") != "1":
        return False
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(screenshot, DOCS_IMAGES / name)
    return True
