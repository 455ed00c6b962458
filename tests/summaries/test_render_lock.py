"""Two workers given the same summary (a task handed back after a worker died, then delivered
again) render it once: the render holds the summary's row; a second render waits for it, then
finds the summary ready. If the first worker dies, its lock goes with it and the second renders.
"""

import threading
import time

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone
from psycopg2 import sql

from summaries.models import SummaryDocument
from summaries.services import summary_render

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = sql.Identifier(SummaryDocument._meta.db_table)


def other_session():
    """A second database session, as another worker's would be."""
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )


@pytest.fixture
def pending_summary(submitted_referral, decide, stub_pdf):
    decide(submitted_referral())
    document = SummaryDocument.objects.get()
    SummaryDocument.objects.filter(pk=document.pk).update(
        status=SummaryDocument.Status.PENDING, attempts=0
    )
    return document


def render_in_background(document_id: int):
    outcome = {}

    def run():
        try:
            outcome["document"] = summary_render(document_id=document_id)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def lock_as_another_worker(document_id: int):
    session = other_session()
    with session.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT id FROM {} WHERE id = %s FOR NO KEY UPDATE").format(TABLE),
            [document_id],
        )
    return session


def test_a_second_render_waits_for_the_first_and_does_not_render_again(pending_summary):
    first = lock_as_another_worker(pending_summary.pk)
    try:
        thread, outcome = render_in_background(pending_summary.pk)
        time.sleep(0.5)
        assert thread.is_alive(), "the second render must wait for the first"
        with first.cursor() as cursor:  # the first worker finishes its render
            cursor.execute(
                sql.SQL(
                    "UPDATE {} SET status = %s, attempts = 1, rendered_at = %s WHERE id = %s"
                ).format(TABLE),
                [SummaryDocument.Status.READY, timezone.now(), pending_summary.pk],
            )
        first.commit()
        thread.join(timeout=10)
    finally:
        first.close()
    assert outcome["document"].status == SummaryDocument.Status.READY
    assert SummaryDocument.objects.get(pk=pending_summary.pk).attempts == 1  # rendered once


def test_when_the_first_worker_dies_mid_render_the_second_renders_it(pending_summary):
    first = lock_as_another_worker(pending_summary.pk)
    try:
        thread, outcome = render_in_background(pending_summary.pk)
        time.sleep(0.5)
        assert thread.is_alive()
    finally:
        first.close()  # killed: its session ends, its transaction rolls back
    thread.join(timeout=10)
    rendered = SummaryDocument.objects.get(pk=pending_summary.pk)
    assert rendered.status == SummaryDocument.Status.READY and rendered.attempts == 1
    assert rendered.file and rendered.sha256


def test_a_short_write_to_the_row_delays_the_render_without_losing_it(pending_summary):
    """The publisher stamps enqueued_at as the worker starts: the render must not give up."""
    publisher = lock_as_another_worker(pending_summary.pk)
    thread, outcome = render_in_background(pending_summary.pk)
    time.sleep(0.3)
    publisher.commit()
    publisher.close()
    thread.join(timeout=10)
    assert outcome["document"].status == SummaryDocument.Status.READY


def test_rendering_a_summary_that_does_not_exist_still_says_so(db):
    with pytest.raises(SummaryDocument.DoesNotExist):
        summary_render(document_id=987654)
