"""The outcomes lists that grow with the clinic are paginated: 25 rows a page (the awaiting
list by number with its count, the due list by position)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from outcomes import selectors
from outcomes.models import FollowUp

pytestmark = pytest.mark.django_db


def _awaiting_ids(response) -> list[int]:
    return [referral.pk for referral in response.context["awaiting"]]


def _due_ids(response) -> list[int]:
    return [follow_up.pk for follow_up in response.context["follow_ups"]]


def test_the_lists_show_25_rows_a_page_like_every_other_list():
    assert selectors.PAGE_SIZE == 25


def test_the_awaiting_list_is_paginated_oldest_first_with_its_count(
    client, accepted, clinic_staff, monkeypatch
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    referrals = [accepted(family_name=f"Waiting{number}") for number in range(5)]
    client.force_login(clinic_staff)

    first = client.get(reverse("outcomes:index"))
    second = client.get(reverse("outcomes:index"), {"page": 2})
    last = client.get(reverse("outcomes:index"), {"page": 3})

    assert _awaiting_ids(first) == [referrals[0].pk, referrals[1].pk]
    assert _awaiting_ids(second) == [referrals[2].pk, referrals[3].pk]
    assert _awaiting_ids(last) == [referrals[4].pk]
    html = second.content.decode()
    assert "5 referrals awaiting the procedure" in html
    assert "Page 2 of 3" in html
    # The pager's buttons submit a GET form to the index: /outcomes/?page=N.
    assert f'<form id="awaiting-pages" method="get" action="{reverse("outcomes:index")}">' in html
    assert re.search(r'form="awaiting-pages" name="page" value="1"', html)
    assert re.search(r'form="awaiting-pages" name="page" value="3"', html)
    # Every row keeps its current acceptance on every page.
    assert "Record procedure" in html and "L2" in html
    assert all(r.accept_decision is not None for r in second.context["awaiting"])


@pytest.mark.parametrize("page", ["0", "99", "two", ""])
def test_a_page_out_of_range_shows_the_last_page_and_not_a_number_the_first(
    client, accepted, clinic_staff, monkeypatch, page
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    referrals = [accepted() for _ in range(3)]
    client.force_login(clinic_staff)

    response = client.get(reverse("outcomes:index"), {"page": page})

    assert response.status_code == 200
    expected = [referrals[2].pk] if page in {"0", "99"} else [referrals[0].pk, referrals[1].pk]
    assert _awaiting_ids(response) == expected


def test_one_page_shows_no_pager_but_the_count(client, accepted, clinic_staff):
    accepted()
    client.force_login(clinic_staff)

    html = client.get(reverse("outcomes:index")).content.decode()

    assert "1 referral awaiting the procedure" in html
    assert "Page 1 of" not in html


def test_the_index_shows_25_of_26_awaiting_referrals_and_the_26th_on_page_2(
    client, accepted, clinic_staff
):
    referrals = [accepted() for _ in range(26)]
    client.force_login(clinic_staff)

    first = client.get(reverse("outcomes:index"))
    second = client.get(reverse("outcomes:index"), {"page": "2"})

    assert _awaiting_ids(first) == [referral.pk for referral in referrals[:25]]
    assert _awaiting_ids(second) == [referrals[25].pk]
    assert "26 referrals awaiting the procedure" in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()


def test_the_index_queries_do_not_grow_with_awaiting_referrals(
    client, accepted, clinic_staff, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    accepted()
    client.force_login(clinic_staff)
    client.get(reverse("outcomes:index"))  # the session's first request stamps it
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("outcomes:index"))
    for _ in range(7):
        accepted()

    for page in ("1", "3"):
        with django_assert_max_num_queries(len(one)) as many:
            response = client.get(reverse("outcomes:index"), {"page": page})
        assert len(response.context["awaiting"]) >= 2
        assert len(many) == len(one)


@pytest.fixture
def overdue_procedures(accepted, record_procedure, today):
    """make(n): n procedures whose six follow-ups are all overdue (oldest procedure first)."""

    def make(count):
        procedures = []
        for number in range(count):
            procedure = record_procedure(accepted())
            FollowUp.objects.filter(procedure=procedure).update(
                target_date=today - dt.timedelta(days=200 - number)
            )
            procedures.append(procedure)
        return procedures

    return make


def test_the_due_list_is_paged_by_position_oldest_target_first(
    client, overdue_procedures, clinic_staff, monkeypatch
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    procedures = overdue_procedures(2)  # 12 follow-ups open
    expected = list(
        FollowUp.objects.filter(procedure__in=procedures)
        .order_by("target_date", "id")
        .values_list("pk", flat=True)
    )
    client.force_login(clinic_staff)
    url = reverse("outcomes:follow-ups-due")

    first = client.get(url)
    second = client.get(url, {"after": first.context["follow_ups_page"].next})
    third = client.get(url, {"after": second.context["follow_ups_page"].next})
    back = client.get(url, {"before": second.context["follow_ups_page"].previous})

    pages = [_due_ids(page) for page in (first, second, third, back)]
    assert pages == [expected[:4], expected[4:8], expected[8:], expected[:4]]
    assert third.context["follow_ups_page"].next == ""
    html = second.content.decode()
    assert f'href="?after={second.context["follow_ups_page"].next}"' in html
    assert "Previous" in html and "First page" in html
    # Each row still has its state and how late it is.
    assert all(f.state == "overdue" and f.days_late > 0 for f in second.context["follow_ups"])


def test_the_due_list_keeps_a_year_and_older_open_follow_ups_have_their_own_page(
    client, accepted, record_procedure, clinic_staff, today
):
    recent = record_procedure(accepted())
    FollowUp.objects.filter(procedure=recent).update(target_date=today - dt.timedelta(days=300))
    lost = record_procedure(accepted())
    FollowUp.objects.filter(procedure=lost).update(target_date=today - dt.timedelta(days=400))
    FollowUp.objects.filter(procedure=lost, interval="day_1").update(status="completed")
    client.force_login(clinic_staff)

    due = client.get(reverse("outcomes:follow-ups-due"))
    older = client.get(reverse("outcomes:follow-ups-older"))

    assert {f.procedure_id for f in due.context["follow_ups"]} == {recent.pk}
    assert len(due.context["follow_ups"]) == 6
    assert reverse("outcomes:follow-ups-older") in due.content.decode()
    assert [f.procedure_id for f in older.context["follow_ups"]] == [lost.pk] * 5  # day 1 done
    assert all(f.state == "overdue" for f in older.context["follow_ups"])
    assert "Chase list" not in older.content.decode()


def test_without_older_open_follow_ups_the_due_list_has_no_link_to_them(
    client, accepted, record_procedure, clinic_staff
):
    record_procedure(accepted())
    client.force_login(clinic_staff)

    response = client.get(reverse("outcomes:follow-ups-due"))

    assert response.context["has_older"] is False
    assert reverse("outcomes:follow-ups-older") not in response.content.decode()


@pytest.mark.parametrize("cursor", ["x", "2026-13-01.4", "2026-01-01", "2026-01-01.-1"])
def test_a_due_list_cursor_that_is_not_one_shows_the_first_page(
    client, overdue_procedures, clinic_staff, cursor
):
    overdue_procedures(1)
    client.force_login(clinic_staff)

    for name in ("after", "before"):
        response = client.get(reverse("outcomes:follow-ups-due"), {name: cursor})
        assert response.status_code == 200
        assert len(response.context["follow_ups"]) == 6


def test_the_due_list_queries_do_not_grow_with_open_follow_ups(
    client, overdue_procedures, clinic_staff, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    overdue_procedures(1)
    client.force_login(clinic_staff)
    client.get(reverse("outcomes:follow-ups-due"))
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("outcomes:follow-ups-due"))
    overdue_procedures(3)

    for page in ("1", "6"):
        with django_assert_max_num_queries(len(one)) as many:
            response = client.get(reverse("outcomes:follow-ups-due"), {"page": page})
        assert len(response.context["follow_ups"]) == 4
        assert len(many) == len(one)
