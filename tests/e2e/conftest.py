"""Browser tests: Playwright drives Debian's Chromium against Django's live server."""

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request
from playwright.sync_api import Error as PlaywrightError

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


@pytest.fixture(scope="session")
def italian_browser(browser_type, browser_type_launch_args):
    """A Chromium whose own language is Italian, for the Italian screenshots.

    Native date fields (`<input type=date>`) follow the browser's interface language, not the
    page's or the context's locale: only this browser shows them as gg/mm/aaaa. On Linux
    Chromium takes that language from LANGUAGE (`--lang` is for the other systems), and only
    when its Italian resources are installed (Debian's chromium-l10n, `make system-deps`).
    """
    browser = browser_type.launch(
        **{
            **browser_type_launch_args,
            "args": [*browser_type_launch_args["args"], "--lang=it-IT"],
            "env": {**os.environ, "LANGUAGE": "it"},
        }
    )
    context = browser.new_context()  # no locale override: the browser's own language shows
    language = context.new_page().evaluate("navigator.language")
    context.close()
    if not language.startswith("it"):
        browser.close()
        pytest.fail(
            f"Chromium's interface language is {language!r}, not Italian: install Debian's "
            "chromium-l10n (`make system-deps`)."
        )
    yield browser
    browser.close()


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


AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.2 AA, as the accessibility statement promises; only these impacts fail a test.
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — `
      + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; "));
}"""


def axe_violations(page: Page) -> list[str]:
    """Serious and critical WCAG 2.2 AA violations axe-core finds on the page as it is now.

    axe is evaluated through the browser's debugging protocol, which the page's CSP does not
    govern; it is not served by the app (tests/e2e/vendor, from npm).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text())
    return page.evaluate(AXE_RUN)


def assert_accessible(page: Page, where: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {where or page.url}:\n" + "\n".join(violations)


# Chromium reports a CSP violation on the console too; the event also names the directive.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || "page"}:${event.lineNumber})`);
});
"""


class BrowserProblems:
    """What a person would see as broken: console errors, uncaught errors, failed requests.

    Every page of every context a browser test opens is watched; the test fails at its end on
    any problem that it did not `allow` (a test that means to meet an error page says so).
    """

    def __init__(self):
        self.problems: list[str] = []
        self.allowed: list[re.Pattern] = []
        self.pages: list[Page] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def watch_context(self, context: BrowserContext) -> BrowserContext:
        context.add_init_script(script=CSP_REPORTER)
        context.on("page", self.watch_page)
        for page in context.pages:
            self.watch_page(page)
        return context

    def watch_page(self, page: Page) -> None:
        self.pages.append(page)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # Chromium also logs every HTTP error status here; _response judges those by type.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text} ({message.location['url']})")

    def _request_failed(self, request: Request) -> None:
        # A request cut short because the page moved on (or a download) is not a defect.
        if request.failure and "ERR_ABORTED" not in request.failure:
            failure = f"{request.method} {request.url}: {request.failure}"
            self.problems.append(f"request failed: {failure}")

    def _response(self, response) -> None:
        # A page answering 400/404/409 shows its own message (tests check it); a script,
        # stylesheet, image or htmx call that fails leaves something dead on the screen.
        is_page = response.request.resource_type == "document"
        if response.status >= 500 or (response.status >= 400 and not is_page):
            kind = response.request.resource_type
            self.problems.append(f"HTTP {response.status} for {kind} {response.url}")

    def check_accessibility(self) -> None:
        """axe-core on the screen each open page ends on (tests check their key screens too)."""
        for page in self.pages:
            if page.is_closed() or not page.url.startswith("http"):
                continue
            if "html" not in (page.evaluate("() => document.contentType") or ""):
                continue
            self.problems.extend(f"axe on {page.url}: {v}" for v in axe_violations(page))

    def settle(self) -> None:
        """Leave every page, then wait until the live server has finished what that sent.

        Leaving an intake sends its last autosave; a test whose database is flushed while that
        request still writes deadlocks the flush and leaves rows for the next test.
        """
        open_pages = [page for page in self.pages if not page.is_closed()]
        for page in open_pages:
            page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
            try:
                page.goto("about:blank")
            except PlaywrightError:
                page.close(run_before_unload=False)
        if open_pages:
            _wait_until_database_idle()

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]


def _wait_until_database_idle(seconds: float = 3.0) -> None:
    """Until no other session of the test database is running a statement (or time is up)."""
    from django.db import connection

    time.sleep(0.2)  # a request sent while leaving the page reaches the server first
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state NOT IN ('idle')"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """After the test's own steps, while its pages are still open: axe-core on the screen each
    ends on, then leave them and let the server finish (fixtures are torn down after this)."""
    outcome = yield
    problems = item.funcargs.get("browser_problems")
    if problems is None:
        return
    if outcome.excinfo is None:
        problems.check_accessibility()
    problems.settle()


@pytest.fixture(autouse=True)
def browser_problems(request, monkeypatch):
    """Watch every browser context and page the test opens; fail it on any problem."""
    problems = BrowserProblems()
    if "page" not in request.fixturenames and "browser" not in request.fixturenames:
        yield problems
        return
    new_context, new_page = Browser.new_context, Browser.new_page

    def watched_new_context(browser, *args, **kwargs):
        return problems.watch_context(new_context(browser, *args, **kwargs))

    def watched_new_page(browser, *args, **kwargs):
        # The page's own context exists only once the page does: watch both from here on.
        page = new_page(browser, *args, **kwargs)
        page.context.add_init_script(script=CSP_REPORTER)
        problems.watch_page(page)
        page.evaluate(CSP_REPORTER)
        return page

    monkeypatch.setattr(Browser, "new_context", watched_new_context)
    monkeypatch.setattr(Browser, "new_page", watched_new_page)
    yield problems
    unexpected = problems.unexpected()
    if unexpected:
        pytest.fail("The browser met problems a user would see:\n" + "\n".join(unexpected))
