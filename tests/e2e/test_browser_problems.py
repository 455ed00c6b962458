"""The browser tests' watch (conftest.BrowserProblems) sees what a user would see as broken."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_inline_script_blocked_by_the_csp_is_reported(page, live_server, browser_problems):
    page.goto(f"{live_server.url}/accounts/login/")
    # The app's own CSP refuses inline scripts, as it refused the old "Print this page".
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.inlineRan") is None
    found = browser_problems.unexpected()
    assert any("CSP violation: script-src" in problem for problem in found), found
    browser_problems.problems.clear()  # seen and asserted: this test itself passes


def test_a_console_error_and_a_missing_script_are_reported(page, live_server, browser_problems):
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("() => console.error('something broke')")
    page.evaluate(
        """() => new Promise((resolve) => {
          const script = document.createElement("script");
          script.src = "/static/js/no-such-file.js";
          script.onerror = resolve;
          document.head.append(script);
        })"""
    )
    found = browser_problems.unexpected()
    assert any("console error: something broke" in problem for problem in found), found
    # (Django's test server answers a missing static file with 500, a real one with 404.)
    assert any("for script" in problem and "no-such-file.js" in problem for problem in found)
    browser_problems.problems.clear()


def test_a_second_page_opened_from_the_browser_is_watched_too(
    browser, live_server, browser_problems
):
    other = browser.new_page()
    other.goto(f"{live_server.url}/accounts/login/")
    other.evaluate("() => console.error('on the second page')")
    assert any("on the second page" in problem for problem in browser_problems.unexpected())
    browser_problems.problems.clear()
    other.close()
