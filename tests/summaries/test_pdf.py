"""The PDF: made on a decision's commit, holding what the clinic and the patient need."""

import hashlib
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from eligibility.engine import RULES_BY_ID
from summaries import services
from summaries.models import SummaryDocument
from summaries.services import ENQUEUE_GRACE, STALE_ENQUEUE_AFTER, summaries_requeue_pending
from summaries.tasks import RENDER_MAX_RETRIES, render_summary

from .conftest import pdf_pages

pytestmark = pytest.mark.django_db


def _rendered(document: SummaryDocument) -> bytes:
    document.refresh_from_db()
    assert document.status == SummaryDocument.Status.READY, document.error
    with document.file.open("rb") as stored:
        return stored.read()


def test_a_decision_queues_a_pdf_on_commit_only(
    submitted_referral, decide, django_capture_on_commit_callbacks
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decision = decide(referral)
    document = SummaryDocument.objects.get(referral=referral)
    assert document.decision == decision
    assert document.evaluation == decision.evaluation
    assert document.status == SummaryDocument.Status.PENDING
    assert not document.file
    assert callbacks, "rendering must wait for the decision's commit"


def test_the_pdf_holds_mrn_levels_met_findings_decision_and_ruleset_version(
    submitted_referral, decide, django_capture_on_commit_callbacks
):
    referral = submitted_referral(mrn="MRN-PDF-0042", given_name="Odile", family_name="Brun")
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(referral)
    document = SummaryDocument.objects.get(referral=referral)
    text = " ".join(pdf_pages(_rendered(document)))

    assert "MRN-PDF-0042" in text
    assert "Odile Brun" in text
    evaluation = decision.evaluation
    for level in evaluation.result["levels"]:
        assert level["level"] in text
        for finding in level["findings"]:
            if finding["status"] == "met":
                assert RULES_BY_ID[finding["rule"]].text in text
                assert finding["reason"] in text
    assert "Accept: T12, L2" in text
    assert f"Decided by {decision.decided_by.get_full_name()}" in text
    assert evaluation.ruleset_version in text
    assert f"evaluation #{evaluation.pk}" in text


def test_the_pdf_is_tagged_for_screen_readers_with_its_title_and_language(
    submitted_referral, decide, django_capture_on_commit_callbacks
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral)
    reader = PdfReader(io.BytesIO(_rendered(SummaryDocument.objects.get(referral=referral))))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])  # tagged: a structure tree to read in order
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en"
    assert reader.metadata.title == f"Referral summary #{referral.pk}"


def test_the_stored_pdf_matches_its_checksum_and_is_named_without_the_patient(
    submitted_referral, decide, django_capture_on_commit_callbacks
):
    referral = submitted_referral(family_name="Zylberstein")
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral)
    document = SummaryDocument.objects.get(referral=referral)
    pdf = _rendered(document)
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    assert document.file.name.endswith(f"/summary-{document.pk}.pdf")
    assert "Zylberstein" not in document.file.name
    assert document.rendered_at is not None


def test_every_page_shows_page_x_of_y_and_the_generated_date(
    submitted_referral, decide, django_capture_on_commit_callbacks
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral)
    pages = pdf_pages(_rendered(SummaryDocument.objects.get(referral=referral)))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Generated " in text


def test_the_patient_copy_has_its_own_pages_in_plain_language_without_rule_ids_or_comments(
    submitted_referral, decide, django_capture_on_commit_callbacks
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral, comment="Internal: check the L1 canal on the day.")
    pages = pdf_pages(_rendered(SummaryDocument.objects.get(referral=referral)))
    first_patient_page = next(i for i, text in enumerate(pages) if "Patient copy" in text)
    assert first_patient_page > 0
    assert "Clinic copy" not in pages[first_patient_page]
    clinic_text = " ".join(pages[:first_patient_page])
    patient_text = " ".join(pages[first_patient_page:])

    assert "Internal: check the L1 canal" in clinic_text
    assert "Internal: check the L1 canal" not in patient_text
    for rule_id in RULES_BY_ID:
        assert rule_id not in patient_text
    assert "You have been accepted for vertebroplasty" in patient_text
    assert "vertebroplasty of the vertebrae T12, L2" in patient_text
    assert "arrange the date of the procedure" in patient_text
    # The procedure as the seed describes it.
    for words in (
        "local anaesthesia",
        "CT and/or digital fluoroscopy guidance",
        "PMMA",
        "from 2 to 4 ml",
        "outpatient",
        "return to their normal activities within only a few days",
    ):
        assert words in patient_text


def test_a_failed_render_is_retried_with_exponential_backoff_then_recorded_as_failed(
    submitted_referral, decide, django_capture_on_commit_callbacks, eager_retries
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=False):
        decide(referral)
    document = SummaryDocument.objects.get(referral=referral)

    with (
        mock.patch.object(services, "html_to_pdf", side_effect=RuntimeError("no fonts")),
        mock.patch.object(render_summary, "retry", wraps=render_summary.retry) as retry,
    ):
        render_summary.apply((document.pk,), throw=False)

    countdowns = [call.kwargs["countdown"] for call in retry.call_args_list]
    assert countdowns[:RENDER_MAX_RETRIES] == [2, 4, 8]
    document.refresh_from_db()
    assert document.status == SummaryDocument.Status.FAILED
    assert document.error == "RuntimeError: no fonts"
    assert document.attempts == RENDER_MAX_RETRIES + 1
    assert not document.file


def test_a_render_that_fails_once_succeeds_on_its_retry(
    submitted_referral, decide, django_capture_on_commit_callbacks, eager_retries
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=False):
        decide(referral)
    document = SummaryDocument.objects.get(referral=referral)
    with mock.patch.object(services, "html_to_pdf", side_effect=_fail_once(services.html_to_pdf)):
        render_summary.apply((document.pk,), throw=False)
    document.refresh_from_db()
    assert document.status == SummaryDocument.Status.READY
    assert document.error == ""
    assert document.attempts == 2


def _fail_once(real):
    calls = []

    def render(html):
        calls.append(html)
        if len(calls) == 1:
            raise OSError("disk busy")
        return real(html)

    return render


def test_rendering_a_missing_summary_is_not_retried():
    with mock.patch.object(render_summary, "retry") as retry:
        result = render_summary.apply((987654,), throw=False)
    assert result.state == "FAILURE"
    assert isinstance(result.result, SummaryDocument.DoesNotExist)
    retry.assert_not_called()


def test_celery_beat_runs_the_sweep_every_minute():
    from summaries.tasks import SWEEP_NAME, SWEEP_TASK
    from vpselect.celery import app

    entry = app.conf.beat_schedule[SWEEP_NAME]
    assert entry["task"] == SWEEP_TASK
    assert entry["schedule"].run_every.total_seconds() == 60


def test_the_sweep_queues_pending_summaries_never_queued_or_queued_long_ago(
    submitted_referral, decide, django_capture_on_commit_callbacks, stub_pdf
):
    documents = []
    for _ in range(4):
        referral = submitted_referral()
        with django_capture_on_commit_callbacks(execute=False):
            decide(referral)
        documents.append(SummaryDocument.objects.get(referral=referral))
    never_queued, just_made, lost, superseded = documents
    now = timezone.now()
    SummaryDocument.objects.filter(pk=never_queued.pk).update(created_at=now - ENQUEUE_GRACE * 2)
    SummaryDocument.objects.filter(pk=lost.pk).update(
        created_at=now - STALE_ENQUEUE_AFTER * 2, enqueued_at=now - STALE_ENQUEUE_AFTER * 2
    )
    SummaryDocument.objects.filter(pk=superseded.pk).update(
        created_at=now - ENQUEUE_GRACE * 2, superseded_by=just_made
    )

    assert summaries_requeue_pending(now=now) == 2
    statuses = dict(SummaryDocument.objects.values_list("pk", "status"))
    assert statuses == {
        never_queued.pk: SummaryDocument.Status.READY,
        lost.pk: SummaryDocument.Status.READY,
        just_made.pk: SummaryDocument.Status.PENDING,
        superseded.pk: SummaryDocument.Status.PENDING,
    }


def test_a_summary_made_after_the_procedure_includes_the_procedure_and_outcome(
    client, submitted_referral, decide, radiologist, django_capture_on_commit_callbacks
):
    from outcomes.services import TreatedLevelInput, procedure_record

    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(referral)
    procedure_record(
        referral=referral,
        by=radiologist,
        performed_on=decision.decided_at.date(),
        levels=[
            TreatedLevelInput("T12", Decimal("3.0"), "transpedicular"),
            TreatedLevelInput("L2", Decimal("2.5"), "transpedicular"),
        ],
        guidance="both",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=decision.decided_at.date(),
    )
    client.force_login(radiologist)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("summaries:generate", args=[referral.pk]), {"regenerate": "1"})
    document = SummaryDocument.objects.get(referral=referral, superseded_by__isnull=True)
    text = " ".join(pdf_pages(_rendered(document)))
    assert "Procedure and outcome" in text
    assert "CT and fluoroscopy · Local" in text


def test_rendering_freezes_the_loaded_objects_out_of_the_collectors_way_once():
    import gc

    from summaries.pdf import _freeze_loaded_objects, html_to_pdf

    html_to_pdf("<p>First.</p>")
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert _freeze_loaded_objects.cache_info().currsize == 1

    keep = [object() for _ in range(100)]  # alive, but created after the freeze
    assert html_to_pdf("<p>Second.</p>").startswith(b"%PDF-")
    assert gc.get_freeze_count() <= frozen, "only the first render freezes"
    assert keep


def test_the_pdf_benchmark_gives_its_verdict_by_wall_clock_and_by_cpu_time(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "bench/pdf.py", "--runs", "2", "--throughput-seconds", "0.1", "--out"]
        + [str(tmp_path / "bench.pdf")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "baseline: HTML template alone" in out
    assert "PDF (template + WeasyPrint)" in out
    assert "target <= 300 ms per PDF: wall-clock median" in out
    assert "target <= 300 ms per PDF: CPU median" in out
    assert "CPU p90" in out
    assert (tmp_path / "bench.pdf").read_bytes().startswith(b"%PDF-")


def test_rendering_is_fire_and_forget_no_result_is_kept_in_redis():
    from summaries.tasks import render_summary

    # The SummaryDocument row holds the status; a stored result would only hold a subscription.
    assert render_summary.ignore_result is True
