"""Two workers given the same summary (a task handed back after a worker died, then delivered
again) render it once: the render holds the summary's row, a second one leaves it alone."""

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

from summaries.models import SummaryDocument
from summaries.services import summary_render

pytestmark = pytest.mark.django_db(transaction=True)


def other_connection():
    """A second database session, as another worker's would be."""
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )


def test_a_summary_another_worker_is_rendering_is_left_to_it_then_rendered_once(
    submitted_referral, decide, stub_pdf
):
    decide(submitted_referral())
    document = SummaryDocument.objects.get()
    SummaryDocument.objects.filter(pk=document.pk).update(
        status=SummaryDocument.Status.PENDING, attempts=0
    )
    rendering = other_connection()
    try:
        with rendering.cursor() as cursor:
            cursor.execute(
                sql.SQL("SELECT id FROM {} WHERE id = %s FOR UPDATE").format(
                    sql.Identifier(SummaryDocument._meta.db_table)
                ),
                [document.pk],
            )
        left_alone = summary_render(document_id=document.pk)
    finally:
        rendering.rollback()  # the other worker died: its lock goes with its session
        rendering.close()

    assert left_alone.status == SummaryDocument.Status.PENDING
    assert left_alone.attempts == 0
    rendered = summary_render(document_id=document.pk)
    again = summary_render(document_id=document.pk)
    assert rendered.status == again.status == SummaryDocument.Status.READY
    assert SummaryDocument.objects.get(pk=document.pk).attempts == 1


def test_rendering_a_summary_that_does_not_exist_still_says_so(db):
    with pytest.raises(SummaryDocument.DoesNotExist):
        summary_render(document_id=987654)
