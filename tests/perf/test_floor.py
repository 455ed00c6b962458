"""The load benchmark's yardsticks: the floor (login required, one SELECT) and the floor page
(the same SELECT with a role check, in the layout); routed only for the bench."""

import pytest
from django.urls import NoReverseMatch, reverse

from accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor_routed(settings):
    """The bench settings' URLconf (the site's and the floor's routes)."""
    settings.ROOT_URLCONF = "bench.urls"


def test_floor_is_not_routed_outside_the_bench():
    for name in ("bench-floor", "bench-floor-page"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1])


def test_floor_requires_login(client, floor_routed):
    response = client.get(reverse("bench-floor", args=[1]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_floor_answers_the_referral_status_with_one_select_beyond_the_middleware(
    client, physician, floor_routed, django_assert_num_queries
):
    from tests.factories import make_referral

    referral = make_referral(physician=physician, submit=True)
    client.force_login(physician)
    client.get(reverse("home"))  # the session's first request stamps it
    # session, user, the floor's SELECT, the audit event
    with django_assert_num_queries(4) as captured:
        response = client.get(reverse("bench-floor", args=[referral.pk]))
    assert response.status_code == 200
    assert response.content == b"submitted"
    selects = [q["sql"] for q in captured.captured_queries if "patients_referral" in q["sql"]]
    assert len(selects) == 1
    assert '"patients_referral"."id" = ' in selects[0]


def test_floor_page_requires_login_and_a_role(client, make_user, floor_routed):
    url = reverse("bench-floor-page", args=[1])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(make_user())  # a user without any role
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", list(Role))
def test_floor_page_shows_the_status_in_the_layout_with_one_select_and_the_role_check(
    client, make_user, role, floor_routed, django_assert_num_queries
):
    from tests.factories import make_referral

    user = make_user(role)
    referral = make_referral(physician=make_user(Role.PHYSICIAN), submit=True)
    client.force_login(user)
    client.get(reverse("home"))  # the session's first request stamps it
    # session, user, the role check, the floor's SELECT, the audit event
    with django_assert_num_queries(5) as captured:
        response = client.get(reverse("bench-floor-page", args=[referral.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p data-testid="floor-status">submitted</p>' in html
    # the layout every page shares: navigation, the logout form with its CSRF token
    assert 'aria-label="Main navigation"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    selects = [q["sql"] for q in captured.captured_queries if "patients_referral" in q["sql"]]
    assert len(selects) == 1
