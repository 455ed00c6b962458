"""Writes of the summaries app: request, render, supersede and print referral summaries."""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from patients.models import Referral
from vpselect.publisher import publish

from .content import Summary, build_summary
from .models import SummaryDocument
from .pdf import html_to_pdf
from .selectors import current_document, referral_current_state, referral_outcome

logger = logging.getLogger(__name__)

SUMMARY_TEMPLATE = "print/referral_summary.html"
PDF_BASE_TEMPLATE = "print/pdf_base.html"
MAX_ERROR_CHARS = 2000

REFERRAL_NOT_EVALUATED = _(
    "This referral has not been evaluated yet: there is nothing to summarise."
)
NOT_READY_TO_PRINT = _("Only a summary whose PDF is ready can be marked printed.")
SUPERSEDED_NOT_PRINTABLE = _(
    "This summary has been replaced by a newer one: print that one instead."
)
ALREADY_CURRENT = _(
    "A PDF of this summary as it stands now already exists (summary #{id}): open or download "
    "it, or choose Regenerate PDF to make a new one."
)


class SummaryError(Exception):
    """The summary cannot be made or printed in its current state."""


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


class SummaryAlreadyCurrent(SummaryError):
    """A summary of exactly this state is ready or being made; regenerating is a choice."""

    def __init__(self, document: SummaryDocument):
        super().__init__(ALREADY_CURRENT.format(id=document.pk))
        self.document = document


@transaction.atomic
def summary_document_create(
    *, referral: Referral, by=None, decision=None, regenerate: bool = False
) -> SummaryDocument:
    """Create a pending summary of a decision (or the referral's current state) and queue it.

    Every earlier summary of the referral becomes superseded by the new one. Rendering is
    queued when the transaction commits; raises SummaryError if there is no evaluation, and
    SummaryAlreadyCurrent if an identical summary is ready or pending and `regenerate` is off.
    """
    # Lock the referral: two summaries created at once must not both stay current.
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if decision is not None:
        evaluation = decision.evaluation
    else:
        evaluation, decision = referral_current_state(referral)
    if evaluation is None:
        raise SummaryError(REFERRAL_NOT_EVALUATED)
    existing = current_document(referral, evaluation=evaluation, decision=decision)
    if existing is not None and not regenerate:
        raise SummaryAlreadyCurrent(existing)
    return _summary_insert(
        referral_id=referral.pk,
        evaluation_id=evaluation.pk,
        decision_id=decision.pk if decision is not None else None,
        decided_at=decision.decided_at if decision is not None else None,
        requested_by_id=by.pk if by is not None else None,
    )


def summary_for_decision_create(*, decision) -> SummaryDocument:
    """Create the pending summary of a decision inside the transaction that records it.

    The review services send their decision signals with the referral's row already locked
    (`select_for_update`) in that transaction (reviews.signals), so it is not read or locked
    again here, and no savepoint of its own is opened. Only ids are read from the decision:
    no related row loads.
    """
    return _summary_insert(
        referral_id=decision.referral_id,
        evaluation_id=decision.evaluation_id,
        decision_id=decision.pk,
        decided_at=decision.decided_at,
        requested_by_id=decision.decided_by_id,
    )


def _summary_insert(
    *,
    referral_id: int,
    evaluation_id: int,
    decision_id: int | None,
    decided_at: datetime | None,
    requested_by_id: int | None,
) -> SummaryDocument:
    """Insert the pending summary, supersede the referral's earlier ones, queue it on commit.

    Call inside a transaction holding the referral's row lock.
    """
    created_at = timezone.now()
    document = SummaryDocument.objects.create(
        referral_id=referral_id,
        evaluation_id=evaluation_id,
        decision_id=decision_id,
        requested_by_id=requested_by_id,
        created_at=created_at,
        decided_or_created=decided_at or created_at,
    )
    SummaryDocument.objects.filter(referral_id=referral_id, superseded_by__isnull=True).exclude(
        pk=document.pk
    ).update(superseded_by=document, superseded_at=timezone.now())
    transaction.on_commit(lambda: _enqueue_after_commit(document.pk))
    return document


def _enqueue_after_commit(document_id: int) -> None:
    publish(summary_enqueue, document_id=document_id)


def summary_enqueue(*, document_id: int) -> bool:
    """Hand the render task to the broker; False (the summary stays pending) if it is down.

    Never raises: it runs after the commit of a decision, which must stand whatever the
    broker does. The periodic sweep (`summaries_requeue_pending`) queues it again later.
    """
    from .tasks import render_summary

    try:
        if render_summary.app.conf.task_always_eager:
            # In-process (`make run` without Redis): run now, retries included, never raising.
            render_summary.apply((document_id,), throw=False)
        else:
            render_summary.apply_async((document_id,), retry=False)
    except Exception as exc:  # noqa: BLE001 - any failure to queue leaves the summary pending
        logger.warning(
            "summary %s left pending, could not be queued: %s", document_id, type(exc).__name__
        )
        return False
    SummaryDocument.objects.filter(pk=document_id).update(enqueued_at=timezone.now())
    return True


def summary_to_html(summary: Summary, *, base_template: str = PDF_BASE_TEMPLATE, **extra) -> str:
    """The summary as HTML, from the one template for the print page and the PDF."""
    context = {"summary": summary, "base_template": base_template, "for_pdf": True, **extra}
    return render_to_string(SUMMARY_TEMPLATE, context)


def summary_to_pdf(summary: Summary) -> bytes:
    """The summary as a PDF (WeasyPrint)."""
    return html_to_pdf(summary_to_html(summary))


def _document_summary(document: SummaryDocument) -> Summary:
    return build_summary(
        referral=document.referral,
        evaluation=document.evaluation,
        decision=document.decision,
        generated_at=document.rendered_at or timezone.now(),
        document=document,
    )


def summary_render(*, document_id: int) -> SummaryDocument:
    """Render the summary's PDF with WeasyPrint, store it with its checksum, mark it ready.

    A summary already rendered is left as it is (a task delivered twice renders once). The row
    is locked while rendering: a second delivery of the task waits for the first render and
    then finds the summary ready; if the first worker died, its lock went with it.
    """
    with transaction.atomic():
        # Waits rather than skips: brief writes (the publisher's enqueued_at) lock it too.
        # NO KEY UPDATE: rows pointing at this one (superseded_by) do not hold the render up.
        document = (
            _documents_to_render().select_for_update(no_key=True, of=("self",)).get(pk=document_id)
        )
        return _render_locked(document)


def _documents_to_render():
    return SummaryDocument.objects.select_related(
        "referral__patient",
        "referral__physician",
        "evaluation",
        "decision__reason_code",
        "decision__override_reason",
        "decision__decided_by",
        "decision__countersignature__signed_by",
    )


def _render_locked(document: SummaryDocument) -> SummaryDocument:
    if document.status == SummaryDocument.Status.READY:
        return document
    document.rendered_at = timezone.now()
    # Rendered in the background, with no user's language at hand: the clinic copy is in the
    # clinic's language (the patient copy is in the patient's, whatever this is).
    with translation.override(settings.VPSELECT_CLINIC_LANGUAGE):
        html = summary_to_html(
            _document_summary(document), outcome=referral_outcome(document.referral)
        )
    pdf = html_to_pdf(html)
    storage = document.file.storage
    stored_name = document.file.name
    if stored_name and storage.exists(stored_name):
        storage.delete(stored_name)
    document.file.save(document.file_name, ContentFile(pdf), save=False)
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.status = SummaryDocument.Status.READY
    document.error = ""
    document.attempts += 1
    document.save(update_fields=["file", "sha256", "status", "error", "attempts", "rendered_at"])
    return document


def summary_render_failed(*, document_id: int, exc: BaseException, final: bool) -> None:
    """Record a failed render attempt; after the last one the summary is failed, with the error."""
    fields = {"error": _error_text(exc), "attempts": F("attempts") + 1}
    if final:
        fields["status"] = SummaryDocument.Status.FAILED
    SummaryDocument.objects.filter(pk=document_id).exclude(
        status=SummaryDocument.Status.READY
    ).update(**fields)


@transaction.atomic
def summary_mark_printed(*, document: SummaryDocument, by) -> SummaryDocument:
    """Record that the summary was printed (by whom, when) and count reprints.

    Raises SummaryError unless the summary is ready and current.
    """
    document = SummaryDocument.objects.select_for_update().get(pk=document.pk)
    if document.is_superseded:
        raise SummaryError(SUPERSEDED_NOT_PRINTABLE)
    if document.status != SummaryDocument.Status.READY:
        raise SummaryError(NOT_READY_TO_PRINT)
    document.print_count += 1
    document.printed_at = timezone.now()
    document.printed_by = by
    document.save(update_fields=["print_count", "printed_at", "printed_by"])
    return document


# A summary handed to the broker this long ago and still pending was lost (e.g. a Redis
# restart without persistence): queue it again.
STALE_ENQUEUE_AFTER = timedelta(minutes=10)
# A summary just created is queued by its own transaction's on-commit hook: leave it that long.
ENQUEUE_GRACE = timedelta(seconds=30)


def summaries_requeue_pending(*, now=None) -> int:
    """Queue again every current pending summary never queued or queued long ago; count them.

    Stops at the first broker failure: the broker is still down, the next sweep will retry.
    """
    now = now or timezone.now()
    pending = (
        SummaryDocument.objects.filter(
            status=SummaryDocument.Status.PENDING, superseded_by__isnull=True
        )
        .filter(
            Q(enqueued_at__isnull=True, created_at__lt=now - ENQUEUE_GRACE)
            | Q(enqueued_at__lt=now - STALE_ENQUEUE_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    queued = 0
    for document_id in pending:
        if not summary_enqueue(document_id=document_id):
            break
        queued += 1
    return queued
