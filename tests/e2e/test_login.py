import pytest
from playwright.sync_api import expect

from accounts.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("role", "card"),
    [
        (Role.PHYSICIAN, "Referring physician"),
        (Role.RADIOLOGIST, "Interventional radiologist"),
        (Role.STAFF, "Clinic staff"),
    ],
)
def test_each_role_logs_in_and_sees_its_home_card(
    page, live_server, login, make_user, role, card, artifacts_dir
):
    user = make_user(role, username=f"e2e-{role}")
    login(page, user.username)
    expect(page.get_by_role("heading", name=card)).to_be_visible()
    assert page.get_by_test_id("current-user").inner_text().strip() == user.get_full_name()
    page.screenshot(path=str(artifacts_dir / f"login-{role}.png"), full_page=True)


def test_wrong_password_shows_an_error_and_stays_on_login(page, live_server, make_user):
    user = make_user(Role.PHYSICIAN, username="e2e-wrong")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    assert "/accounts/login/" in page.url
