"""What a decision and the review page cost in queries, and the worklist filters' indexes."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Patient, Referral
from reviews import selectors
from reviews.models import ReviewDecision
from reviews.selectors import WorklistFilters
from reviews.services import referral_claim
from summaries.models import SummaryDocument
from tests.plans import query_plan

from .conftest import decision_post

pytestmark = pytest.mark.django_db

# Middleware: session, user, roles, audit event (4); the view: referral, reason codes (2);
# the decision's transaction (BEGIN and COMMIT, a savepoint and its release inside a test's
# transaction) with lock, current decision, decision, referral, its history row, its audit
# event, outbox message (2 + 7); the summary: savepoint, insert, supersede, release (4). Was
# 22: the summary re-read and locked the referral inside two savepoints. (The session write
# of a client's first message adds one: the warm-up decision below.)
DECISION_STATEMENTS = 19


def _claimed(referral, radiologist):
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()
    return referral


def test_a_decision_costs_a_fixed_number_of_statements_and_still_makes_its_summary(
    radiologist_client, radiologist, submitted, django_capture_on_commit_callbacks
):
    warm = _claimed(submitted("eligible"), radiologist)
    radiologist_client.post(  # the session's first message is written once per client
        reverse("reviews:decide", args=[warm.pk]),
        decision_post(warm, outcome="accept", levels_to_treat=["L2"]),
    )
    referral = _claimed(submitted("eligible"), radiologist)

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        response = radiologist_client.post(
            reverse("reviews:decide", args=[referral.pk]),
            decision_post(referral, outcome="accept", levels_to_treat=["L2"]),
        )

    assert response.status_code == 302
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == DECISION_STATEMENTS, "\n".join(s[:120] for s in sql)
    assert sum("FOR UPDATE" in s for s in sql) == 1  # the referral is locked once
    decision = ReviewDecision.objects.get(referral=referral)
    document = SummaryDocument.objects.get(decision=decision)
    assert document.status == SummaryDocument.Status.PENDING
    assert callbacks  # rendering (the outbox, the summary's task) waits for the commit


def test_the_review_page_reads_reason_codes_only_for_a_form(
    radiologist_client, radiologist, submitted
):
    referral = submitted("eligible")  # nobody's yet: no decision form, a "Start review"
    with CaptureQueriesContext(connection) as queries:
        response = radiologist_client.get(reverse("reviews:review", args=[referral.pk]))
    assert response.status_code == 200
    assert not any('FROM "reviews_reasoncode"' in q["sql"] for q in queries.captured_queries)
    assert b"Start review" in response.content

    _claimed(referral, radiologist)
    with CaptureQueriesContext(connection) as queries:
        response = radiologist_client.get(reverse("reviews:review", args=[referral.pk]))
    assert sum('FROM "reviews_reasoncode"' in q["sql"] for q in queries.captured_queries) == 1
    assert response.context["form"] is not None


def test_history_names_people_already_loaded_without_a_query(radiologist, submitted):
    referral = _claimed(submitted("eligible"), radiologist)
    referral = selectors.review_referral(referral.pk)
    with CaptureQueriesContext(connection) as queries:
        history = selectors.referral_history(referral)
    assert len(queries) == 1  # the history rows with their authors
    name = radiologist.get_full_name() or radiologist.username
    assert any(new == name for entry in history for new in (c.after for c in entry["changed"])), (
        history
    )


def test_history_reads_people_not_loaded(radiologist, radiologist2, submitted):
    referral = _claimed(submitted("eligible"), radiologist)
    referral.assigned_radiologist = radiologist2  # a hand-over, made by someone else
    referral._history_user = radiologist2
    referral.save()
    referral.assigned_radiologist = radiologist
    referral._history_user = radiologist2
    referral.save()
    plain = Referral.objects.get(pk=referral.pk)  # nothing joined
    history = selectors.referral_history(plain)
    names = {new for entry in history for new in (c.after for c in entry["changed"])}
    assert (radiologist.get_full_name() or radiologist.username) in names
    assert (radiologist2.get_full_name() or radiologist2.username) in names


def _plan(queryset) -> str:
    # A tiny test table: leave the planner only the bitmap scans, to show one applies.
    sql, params = queryset.query.sql_with_params()
    return query_plan(sql, params, without=("seqscan", "indexscan"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")
def test_the_search_filter_can_use_the_trigram_index(radiologist, submitted):
    submitted("eligible", family_name="Rossi")
    referrals = selectors.worklist_referrals(
        user=radiologist, filters=WorklistFilters(search="ross")
    )
    assert [r.patient.family_name for r in referrals] == ["Rossi"]
    # The filter's condition on the patient, as worklist_referrals writes it for a term.
    term = "ross"
    matching = (
        Patient.objects.filter(
            Q(family_name__icontains=term) | Q(given_name__icontains=term) | Q(mrn__iexact=term)
        )
        .order_by()
        .values("pk")
    )
    assert "patient_search_trgm" in _plan(matching)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")
def test_the_level_filter_can_use_the_level_index(radiologist, submitted):
    submitted("eligible")
    referrals = selectors.worklist_referrals(
        user=radiologist, filters=WorklistFilters(level="L2")
    ).order_by()
    assert referrals.count() == 1
    assert "targetlevel_level_referral" in _plan(referrals.values("pk"))
