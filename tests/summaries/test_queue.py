"""The staff print queue, superseding, and summaries following countersignatures."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from eligibility.engine import RULES_BY_ID
from reviews.models import ReviewDecision
from reviews.services import decision_countersign
from summaries import selectors
from summaries.forms import DATES_REVERSED
from summaries.models import SummaryDocument
from summaries.pdf import superseded_note
from tests.factories import case_with

from .conftest import LEVEL_T12, pdf_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(submitted_referral, decide, django_capture_on_commit_callbacks, stub_pdf):
    """Decide a new referral and render its summary; returns the summary."""

    def make(**decision_fields):
        referral = submitted_referral()
        with django_capture_on_commit_callbacks(execute=True):
            decide(referral, **decision_fields)
        return SummaryDocument.objects.get(referral=referral, superseded_by__isnull=True)

    return make


def _queue_ids(client, **params) -> list[int]:
    response = client.get(reverse("summaries:queue"), params)
    assert response.status_code == 200
    return [document.pk for document in response.context["documents"]]


def _decided_at(document: SummaryDocument, moment: dt.datetime) -> None:
    """Move a summary's decision back in time (the summary keeps its decision's time)."""
    ReviewDecision.objects.filter(pk=document.decision_id).update(decided_at=moment)
    SummaryDocument.objects.filter(pk=document.pk).update(decided_or_created=moment)


def test_the_queue_lists_ready_summaries_newest_decision_first(client, decided, clinic_staff):
    older, newer = decided(), decided()
    _decided_at(older, timezone.now() - dt.timedelta(days=1))
    client.force_login(clinic_staff)
    assert _queue_ids(client) == [newer.pk, older.pk]


def test_printed_summaries_leave_the_ready_list_for_the_printed_one(client, decided, clinic_staff):
    printed, waiting = decided(), decided()
    client.force_login(clinic_staff)
    client.post(reverse("summaries:mark-printed", args=[printed.pk]))
    assert _queue_ids(client) == [waiting.pk]
    assert _queue_ids(client, status="printed") == [printed.pk]
    page = client.get(reverse("summaries:queue"), {"status": "printed"}).content.decode()
    assert "Not yet" not in page
    assert clinic_staff.get_full_name() in page


def test_the_queue_filters_by_status(client, decided, clinic_staff):
    ready, failed, pending = decided(), decided(), decided()
    SummaryDocument.objects.filter(pk=failed.pk).update(status=SummaryDocument.Status.FAILED)
    SummaryDocument.objects.filter(pk=pending.pk).update(status=SummaryDocument.Status.PENDING)
    client.force_login(clinic_staff)
    assert _queue_ids(client, status="ready") == [ready.pk]
    assert _queue_ids(client, status="failed") == [failed.pk]
    assert _queue_ids(client, status="pending") == [pending.pk]
    assert set(_queue_ids(client, status="all")) == {ready.pk, failed.pk, pending.pk}


def test_the_queue_filters_by_decision_date(client, decided, clinic_staff):
    last_week, today = decided(), decided()
    week_ago = timezone.now() - dt.timedelta(days=7)
    _decided_at(last_week, week_ago)
    client.force_login(clinic_staff)
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert _queue_ids(client, decided_from=since) == [today.pk]
    assert _queue_ids(client, decided_to=since) == [last_week.pk]


def test_a_reversed_date_range_is_reported_next_to_the_field(client, decided, clinic_staff):
    decided()
    client.force_login(clinic_staff)
    response = client.get(
        reverse("summaries:queue"), {"decided_from": "2026-11-20", "decided_to": "2026-11-01"}
    )
    assert response.status_code == 200
    assert str(DATES_REVERSED) in response.content.decode()
    assert response.context["filter_form"].errors["decided_to"] == [DATES_REVERSED]


def test_a_malformed_date_is_an_error_not_a_crash(client, decided, clinic_staff):
    decided()
    client.force_login(clinic_staff)
    response = client.get(reverse("summaries:queue"), {"decided_from": "2026-02-30"})
    assert response.status_code == 200
    assert "decided_from" in response.context["filter_form"].errors


def test_the_queue_costs_the_same_queries_for_2_or_12_summaries(
    client, decided, clinic_staff, django_assert_num_queries
):
    for _ in range(2):
        decided()
    client.force_login(clinic_staff)
    _queue_ids(client)  # the first request of a session also saves the session
    with CaptureQueriesContext(connection) as small:
        assert len(_queue_ids(client, status="all")) == 2
    summary_queries = [q for q in small.captured_queries if "summaries_summarydocument" in q["sql"]]
    assert len(summary_queries) == 1  # one page with its joins, no count (pages by position)
    for _ in range(10):
        decided()
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(_queue_ids(client, status="all")) == 12


def test_the_queue_reads_only_what_its_rows_show(client, decided, clinic_staff):
    printed, waiting = decided(), decided()
    client.force_login(clinic_staff)
    client.post(reverse("summaries:mark-printed", args=[printed.pk]))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("summaries:queue"), {"status": "all"}).content.decode()
    # Every row is shown, the printed one with who printed it, from the page's one query.
    assert f"#{printed.pk}" in page and f"#{waiting.pk}" in page
    assert clinic_staff.get_full_name() in page
    assert printed.referral.patient.mrn in page
    (queue_sql,) = [q["sql"] for q in captured if "summaries_summarydocument" in q["sql"]]
    # Not the referral's answers, the decision's engine record or the printer's password.
    assert '"patients_referral"."allergies"' not in queue_sql
    assert '"reviews_reviewdecision"."engine_level_recommendations"' not in queue_sql
    assert '"auth_user"."password"' not in queue_sql


def test_the_queue_pages_by_position_older_newer_and_newest(
    client, decided, clinic_staff, monkeypatch
):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    documents = [decided() for _ in range(5)]
    newest_first = [document.pk for document in reversed(documents)]
    client.force_login(clinic_staff)

    first = client.get(reverse("summaries:queue"), {"status": "all"})
    page = first.context["page"]
    second = client.get(reverse("summaries:queue"), {"status": "all", "after": page.next})
    third = client.get(
        reverse("summaries:queue"), {"status": "all", "after": second.context["page"].next}
    )
    back = client.get(
        reverse("summaries:queue"), {"status": "all", "before": second.context["page"].previous}
    )

    ids = [[d.pk for d in r.context["documents"]] for r in (first, second, third, back)]
    assert ids == [newest_first[:2], newest_first[2:4], newest_first[4:], newest_first[:2]]
    assert third.context["page"].next == ""
    assert back.context["page"].is_first
    html = second.content.decode()
    assert "Older" in html and "Newer" in html and "Newest" in html
    assert f"status=all&amp;after={second.context['page'].next}" in html


@pytest.mark.parametrize("cursor", ["nonsense", "12.x", "99999999999999999999999.1", "."])
def test_a_cursor_that_is_not_one_shows_the_newest_page(client, decided, clinic_staff, cursor):
    newest = [decided(), decided()][::-1]
    client.force_login(clinic_staff)

    for name in ("after", "before"):
        assert _queue_ids(client, **{name: cursor}) == [document.pk for document in newest]


def test_a_correction_supersedes_the_earlier_summary_visibly(
    client, submitted_referral, decide, django_capture_on_commit_callbacks, clinic_staff
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        first = decide(referral)
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral, levels=("T12",), supersedes=first)
    older = SummaryDocument.objects.get(decision=first)
    newer = SummaryDocument.objects.exclude(pk=older.pk).get()
    assert older.superseded_by == newer
    assert older.superseded_at is not None
    assert not newer.is_superseded

    client.force_login(clinic_staff)
    assert _queue_ids(client) == [newer.pk]
    assert _queue_ids(client, status="superseded") == [older.pk]
    page = client.get(older.get_absolute_url()).content.decode()
    assert f"SUPERSEDED by summary #{newer.pk}" in page
    assert "Mark printed" not in page

    download = client.get(reverse("summaries:download", args=[older.pk]))
    assert download["Content-Disposition"].endswith(f'filename="summary-{older.pk}-superseded.pdf"')
    for text in pdf_pages(download.content):
        assert superseded_note(newer.pk) in text
    # The stored file is left as rendered: its checksum still holds.
    assert "SUPERSEDED" not in " ".join(pdf_pages(older.file.read()))


def test_a_countersignature_makes_a_new_summary_showing_it(
    submitted_referral,
    decide,
    make_user,
    django_capture_on_commit_callbacks,
):
    osteomyelitis = case_with(levels=[{**LEVEL_T12, "osteomyelitis": True}])
    referral = submitted_referral(case=osteomyelitis)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(
            referral,
            levels=("T12",),
            override_reason="benefit-outweighs-risk",
            comment="Discussed at the spine meeting.",
        )
    assert decision.requires_countersignature
    pending = SummaryDocument.objects.get(decision=decision)
    pending_text = " ".join(pdf_pages(pending.file.read()))
    assert "Override pending countersignature" in pending_text
    assert "waiting for a second specialist's confirmation" in pending_text

    second = make_user(Role.RADIOLOGIST, first_name="Hugo", last_name="Lambert")
    with django_capture_on_commit_callbacks(execute=True):
        decision_countersign(decision=decision, by=second)
    signed = SummaryDocument.objects.get(superseded_by__isnull=True, referral=referral)
    pending.refresh_from_db()
    assert pending.superseded_by == signed
    text = " ".join(pdf_pages(signed.file.read()))
    assert "Override pending countersignature" not in text
    assert "countersigned by Hugo Lambert" in text
    assert "The expected benefit outweighs the risk" in text
    assert "Disagrees with the engine's recommendation (not eligible)" in text
    assert f"Rules overridden: {RULES_BY_ID['CI-OSTEOMYELITIS'].text}" in text
    assert "You have been accepted for vertebroplasty" in text
