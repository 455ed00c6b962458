"""The load benchmark's floor view: routed only for the bench, login required, one SELECT."""

import importlib

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor_routed(settings):
    """The URLconf as the bench settings build it (VPSELECT_BENCH_FLOOR on), then as before."""
    import vpselect.urls

    settings.VPSELECT_BENCH_FLOOR = True
    importlib.reload(vpselect.urls)
    clear_url_caches()
    yield
    settings.VPSELECT_BENCH_FLOOR = False
    importlib.reload(vpselect.urls)
    clear_url_caches()


def test_floor_is_not_routed_outside_the_bench():
    with pytest.raises(NoReverseMatch):
        reverse("bench-floor", args=[1])


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
