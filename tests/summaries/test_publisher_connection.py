"""The background thread that queues summaries keeps its database connection as a request
thread does: one connection for many publishes while CONN_MAX_AGE allows, none kept without.

Closing it after every publish cost every decision a new PostgreSQL backend (a fork and an
authentication): the decision's throughput in the load benchmark rose by a quarter when it
stopped (docs/performance.md, "Findings").
"""

import threading
from unittest import mock

import pytest
from django.db import connections

from summaries import services
from summaries.models import SummaryDocument
from summaries.tasks import render_summary
from vpselect import publisher

pytestmark = pytest.mark.django_db(transaction=True)


def _publish_in_one_thread(document_ids: list[int]) -> list[tuple[int | None, bool]]:
    """Run the background publish for each document in one new thread, as the publisher's
    single thread does; after each, (id of that thread's DB connection or None, closed?)."""
    seen: list[tuple[int | None, bool]] = []

    def work():
        try:
            for document_id in document_ids:
                publisher._publish_in_background(
                    services.summary_enqueue, {"document_id": document_id}
                )
                raw = connections["default"].connection
                seen.append((id(raw) if raw is not None else None, bool(raw and raw.closed)))
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return seen


@pytest.fixture
def two_pending_documents(submitted_referral, decide):
    with mock.patch.object(services, "_enqueue_after_commit"):  # queued by hand below
        decisions = [decide(submitted_referral()) for _ in range(2)]
    return [SummaryDocument.objects.get(decision=decision).pk for decision in decisions]


@pytest.fixture
def publishing_to_the_broker():
    """Publishing as in production (not in-process), the broker call itself stubbed out."""
    conf = render_summary.app.conf
    eager = conf.task_always_eager
    conf.update(task_always_eager=False)
    try:
        with mock.patch.object(render_summary, "apply_async") as apply_async:
            yield apply_async
    finally:
        conf.update(task_always_eager=eager)


def test_the_publisher_thread_reuses_one_connection_while_conn_max_age_allows(
    two_pending_documents, publishing_to_the_broker
):
    with mock.patch.dict(connections.settings["default"], {"CONN_MAX_AGE": 60}):
        seen = _publish_in_one_thread(two_pending_documents)

    assert publishing_to_the_broker.call_count == 2
    assert (
        SummaryDocument.objects.filter(
            pk__in=two_pending_documents, enqueued_at__isnull=False
        ).count()
        == 2
    )
    (first, first_closed), (second, second_closed) = seen
    assert first is not None and not first_closed
    assert second == first and not second_closed


def test_the_publisher_thread_keeps_no_connection_without_persistent_connections(
    two_pending_documents, publishing_to_the_broker
):
    with mock.patch.dict(connections.settings["default"], {"CONN_MAX_AGE": 0}):
        seen = _publish_in_one_thread(two_pending_documents)

    assert publishing_to_the_broker.call_count == 2
    assert seen == [(None, False), (None, False)]
