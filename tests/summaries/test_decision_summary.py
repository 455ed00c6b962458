"""The summary of a decision: made inside the deciding transaction, queued on its commit."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import ReviewDecision
from reviews.services import referral_claim
from summaries import receivers, services
from summaries.models import SummaryDocument
from tests.factories import record_decision

pytestmark = pytest.mark.django_db


def _claimed(referral, radiologist):
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()
    return referral


def _accept(referral, radiologist):
    return record_decision(
        referral, by=radiologist, outcome="accept", levels_to_treat=["T12", "L2"]
    )


def test_a_decision_creates_its_pending_summary_and_queues_it_on_commit_by_id(
    submitted_referral, radiologist, django_capture_on_commit_callbacks
):
    referral = _claimed(submitted_referral(), radiologist)
    with mock.patch.object(services, "_enqueue_after_commit") as enqueue:
        with django_capture_on_commit_callbacks(execute=True):
            decision = _accept(referral, radiologist)
            document = SummaryDocument.objects.get(decision=decision)
            assert enqueue.call_count == 0  # not before the commit

    assert document.status == SummaryDocument.Status.PENDING
    assert document.referral_id == referral.pk
    assert document.evaluation_id == decision.evaluation_id
    assert document.requested_by_id == radiologist.pk
    assert document.superseded_by_id is None
    enqueue.assert_called_once_with(document.pk)  # the id only


def test_the_summary_does_not_read_or_lock_the_referral_again(
    submitted_referral, radiologist, django_capture_on_commit_callbacks
):
    """The deciding transaction holds the referral's lock: the receiver writes two rows in
    one savepoint (insert, supersede) and reads nothing."""
    referral = _claimed(submitted_referral(), radiologist)
    with (
        mock.patch.object(services, "_enqueue_after_commit"),
        CaptureQueriesContext(connection) as queries,
        mock.patch.object(
            receivers, "summary_for_decision_create", wraps=services.summary_for_decision_create
        ) as create,
    ):
        _accept(referral, radiologist)
    sql = [q["sql"] for q in queries.captured_queries]
    insert = next(i for i, q in enumerate(sql) if q.startswith('INSERT INTO "summaries_'))
    assert sql[insert - 1].startswith("SAVEPOINT")
    assert sql[insert + 1].startswith('UPDATE "summaries_summarydocument"')
    assert sql[insert + 2].startswith("RELEASE SAVEPOINT")
    # One savepoint for the decision (the test's own transaction holds it), one for the summary.
    assert sum(q.startswith("SAVEPOINT") for q in sql) == 2
    assert sum("FOR UPDATE" in q for q in sql) == 1  # the decision's lock only
    assert create.call_count == 1


def test_a_correction_supersedes_the_earlier_summary(
    submitted_referral, radiologist, django_capture_on_commit_callbacks
):
    referral = _claimed(submitted_referral(), radiologist)
    with mock.patch.object(services, "_enqueue_after_commit"):
        first = _accept(referral, radiologist)
        second = record_decision(
            referral,
            by=radiologist,
            outcome="accept",
            levels_to_treat=["T12"],
            supersedes=first,
        )
    old = SummaryDocument.objects.get(decision=first)
    new = SummaryDocument.objects.get(decision=second)
    assert old.superseded_by_id == new.pk and old.superseded_at is not None
    assert new.superseded_by_id is None


def test_a_failed_summary_write_does_not_undo_the_decision(
    submitted_referral, radiologist, django_capture_on_commit_callbacks
):
    """A database error in the summary's write rolls back to its savepoint only."""
    referral = _claimed(submitted_referral(), radiologist)

    def failing_write(**ids):
        SummaryDocument.objects.create(**ids)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")  # aborts the transaction, as any failed statement

    with (
        mock.patch.object(services, "_summary_insert", side_effect=failing_write),
        mock.patch.object(receivers.logger, "exception") as logged,
    ):
        decision = _accept(referral, radiologist)
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert ReviewDecision.objects.filter(pk=decision.pk).exists()
    assert not SummaryDocument.objects.filter(decision=decision).exists()
    logged.assert_called_once()


def test_a_summary_asked_for_on_the_summary_page_still_locks_the_referral(
    submitted_referral, radiologist, django_capture_on_commit_callbacks
):
    referral = _claimed(submitted_referral(), radiologist)
    with mock.patch.object(services, "_enqueue_after_commit"):
        decision = _accept(referral, radiologist)
        SummaryDocument.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            document = services.summary_document_create(
                referral=referral, decision=decision, by=radiologist
            )
    assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)
    assert document.decision_id == decision.pk
