"""Query budgets: each page's query count, at 1 row and at 200, within budget and not growing.

A page whose count grows with its rows has an N+1 query; one over budget gained a query.
When a page legitimately needs one more query, raise its budget here and say why in the
commit.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_referral

from .conftest import CASES

pytestmark = pytest.mark.django_db

# The counts measured when the budgets were set (in brackets), plus 2 of headroom; the growth
# check is exact. 4 of each count are the middleware's: session, user, roles, audit event.
BUDGETS = {
    "physician list": 10,  # (8)
    "patient list": 8,  # (6)
    "worklist": 8,  # (7: the page, then its rows' countersignature states; 6 before)
    "worklist filtered": 8,  # (7 with the rows' countersignature states)
    "review page": 15,  # (13: 10, and 3 for the information requests, answers, attachments)
    "referral detail": 12,  # (10)
    "print queue": 8,  # (6)
    "outcomes index": 11,  # (9)
    "follow-ups due": 8,  # (6)
}
MANY = 200


def _count(django_assert_max_num_queries, budget: int, request) -> tuple[int, object]:
    with django_assert_max_num_queries(budget) as captured:
        response = request()
    assert response.status_code == 200
    return len(captured.captured_queries), response


def _at_one_and_many(django_assert_max_num_queries, page: str, request, add_rows, shown):
    """Query counts of the page with one row and with MANY; both in budget, and equal."""
    budget = BUDGETS[page]
    request()  # the session's first request stamps it: not part of the page's cost
    at_one, response = _count(django_assert_max_num_queries, budget, request)
    assert shown(response) >= 1
    add_rows(MANY - 1)
    at_many, response = _count(django_assert_max_num_queries, budget, request)
    assert shown(response) >= min(MANY, 25)
    assert at_many == at_one, f"{page}: {at_one} queries with 1 row, {at_many} with {MANY}"


def _marks(marker: bytes):
    return lambda response: response.content.count(marker)


def test_physician_list_queries_do_not_grow_with_referrals(
    rows, signed_in, physician, django_assert_max_num_queries
):
    client = signed_in(physician)
    rows.referrals(1, status="accepted", outcome="accept")

    def add(count):
        rows.referrals(count // 2, status="accepted", outcome="accept")
        rows.referrals(count - count // 2, status="information_requested", kind="incomplete")

    _at_one_and_many(
        django_assert_max_num_queries,
        "physician list",
        lambda: client.get(reverse("patients:referral-list")),
        add,
        _marks(b"data-referral="),
    )


def test_patient_list_queries_do_not_grow_with_patients(
    rows, signed_in, physician, django_assert_max_num_queries
):
    client = signed_in(physician)
    rows.referrals(1, status="draft")
    _at_one_and_many(
        django_assert_max_num_queries,
        "patient list",
        lambda: client.get(reverse("patients:patient-list")),
        lambda count: rows.referrals(count, status="draft"),
        _marks(b"Family"),
    )


def test_worklist_queries_do_not_grow_with_waiting_referrals(
    rows, signed_in, radiologist, physician, other_physician, django_assert_max_num_queries
):
    client = signed_in(radiologist)
    rows.referrals(1, kind="two_levels")

    def add(count):
        rows.referrals(count // 2, kind="two_levels", physician=other_physician)
        rows.referrals(count - count // 2, status="under_review", assigned=radiologist)

    _at_one_and_many(
        django_assert_max_num_queries,
        "worklist",
        lambda: client.get(reverse("reviews:worklist")),
        add,
        _marks(b"/reviews/referrals/"),
    )


def test_filtered_worklist_queries_do_not_grow_with_matching_referrals(
    rows, signed_in, radiologist, django_assert_max_num_queries
):
    client = signed_in(radiologist)
    rows.referrals(1, status="under_review", assigned=radiologist)
    filters = {"status": "under_review", "assigned_to_me": "on", "recommendation": "eligible"}
    _at_one_and_many(
        django_assert_max_num_queries,
        "worklist filtered",
        lambda: client.post(reverse("reviews:worklist"), filters, headers={"HX-Request": "true"}),
        lambda count: rows.referrals(count, status="under_review", assigned=radiologist),
        _marks(b"/reviews/referrals/"),
    )


def _resubmitted_many_times(rows, referral, count: int) -> None:
    """`count` more evaluations of the referral, each answered by an information request."""
    from patients.models import Referral

    referrals = [referral] * count
    evaluations = rows.evaluations(referrals, case=CASES["eligible"])
    rows.decisions(evaluations[:-1], outcome="request_information")
    Referral.objects.filter(pk=referral.pk).update(latest_evaluation=evaluations[-1])


def test_review_page_queries_do_not_grow_with_evaluations_and_decisions(
    rows, signed_in, radiologist, physician, django_assert_max_num_queries
):
    client = signed_in(radiologist)
    referral = make_referral(physician=physician, case=CASES["two_levels"], submit=True)
    _at_one_and_many(
        django_assert_max_num_queries,
        "review page",
        lambda: client.get(reverse("reviews:review", args=[referral.pk])),
        lambda count: _resubmitted_many_times(rows, referral, count),
        _marks(b"data-recommendation="),
    )


def test_referral_detail_queries_do_not_grow_with_evaluations(
    rows, signed_in, physician, django_assert_max_num_queries
):
    client = signed_in(physician)
    referral = make_referral(physician=physician, case=CASES["two_levels"], submit=True)
    _at_one_and_many(
        django_assert_max_num_queries,
        "referral detail",
        lambda: client.get(reverse("patients:referral-detail", args=[referral.pk])),
        lambda count: _resubmitted_many_times(rows, referral, count),
        _marks(b"data-evaluation="),
    )


def test_print_queue_queries_do_not_grow_with_summaries(
    rows, signed_in, clinic_staff, django_assert_max_num_queries
):
    client = signed_in(clinic_staff)
    rows.summaries(1)
    _at_one_and_many(
        django_assert_max_num_queries,
        "print queue",
        lambda: client.get(reverse("summaries:queue")),
        rows.summaries,
        _marks(b'href="/summaries/'),
    )


def test_outcomes_index_queries_do_not_grow_with_referrals_and_procedures(
    rows, signed_in, clinic_staff, django_assert_max_num_queries
):
    client = signed_in(clinic_staff)
    performed_on = timezone.localdate() - dt.timedelta(days=3)
    rows.referrals(1, status="accepted", outcome="accept")
    rows.procedures(1, performed_on=performed_on)

    def add(count):
        rows.referrals(count, status="accepted", outcome="accept")
        rows.procedures(count, performed_on=performed_on)

    _at_one_and_many(
        django_assert_max_num_queries,
        "outcomes index",
        lambda: client.get(reverse("outcomes:index")),
        add,
        _marks(b"/outcomes/referrals/"),
    )


def test_follow_ups_due_queries_do_not_grow_with_open_follow_ups(
    rows, signed_in, clinic_staff, django_assert_max_num_queries
):
    client = signed_in(clinic_staff)
    # 40 days on, the 1-day, 1-week and 1-month follow-ups are open (due or overdue).
    performed_on = timezone.localdate() - dt.timedelta(days=40)
    rows.procedures(1, performed_on=performed_on)
    _at_one_and_many(
        django_assert_max_num_queries,
        "follow-ups due",
        lambda: client.get(reverse("outcomes:follow-ups-due")),
        lambda count: rows.procedures(count, performed_on=performed_on),
        _marks(b"/outcomes/follow-ups/"),
    )
