"""The print queue, the summary print pages, PDF downloads and the print-related actions."""

import hashlib
import logging

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from accounts.mixins import RoleRequiredMixin, require_role
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import audit_note
from patients.access import Purpose, referral_for
from patients.selectors import patient_banner

from .content import build_summary
from .forms import PrintQueueFilterForm
from .models import SummaryDocument
from .pdf import stamp_superseded
from .selectors import (
    documents_visible_to,
    is_current,
    may_mark_printed,
    may_request_pdf,
    print_queue_page,
    referral_current_state,
    referral_outcome,
)
from .services import (
    REFERRAL_NOT_EVALUATED,
    SummaryAlreadyCurrent,
    SummaryError,
    summary_document_create,
    summary_mark_printed,
)

logger = logging.getLogger(__name__)

SUMMARY_TEMPLATE = "print/referral_summary.html"
PDF_NOT_READY = _("The PDF of this summary is not ready.")
MARKED_PRINTED = _("Summary #{id} marked as printed.")
CHECKSUM_MISMATCH = _("The stored PDF does not match its checksum; generate a new one.")


class PrintQueueView(RoleRequiredMixin, TemplateView):
    """Clinic staff's queue of summaries to print, newest decisions first, with filters, paged
    by position (Older / Newer / Newest)."""

    allowed_roles = (Role.STAFF,)
    template_name = "summaries/print_queue.html"

    def get_context_data(self, **kwargs):
        filter_form = PrintQueueFilterForm(self.request.GET or None)
        page = print_queue_page(
            filter_form.filters(),
            after=self.request.GET.get("after", ""),
            before=self.request.GET.get("before", ""),
        )
        query = self.request.GET.copy()
        for name in ("after", "before", "page"):
            query.pop(name, None)
        return super().get_context_data(
            filter_form=filter_form,
            filter_query=query.urlencode(),
            page=page,
            documents=page.rows,
            **kwargs,
        )


def _actions(request) -> dict:
    return {
        "can_request_pdf": may_request_pdf(request.user),
        "can_mark_printed": may_mark_printed(request.user),
    }


def _banner(referral):
    return patient_banner(patient=referral.patient, referral=referral, today=timezone.localdate())


@require_GET
def referral_summary(request, referral_id: int):
    """The print page of a referral's summary as it stands now (latest evaluation)."""
    # The latest evaluation and the procedure (or that there is none) come with the referral.
    referral = referral_for(
        request.user,
        referral_id,
        purpose=Purpose.SUMMARY,
        related=("patient", "physician", "latest_evaluation", "procedure"),
    )
    audit_note(request, referral)
    evaluation, decision = referral_current_state(referral)
    documents = list(referral.summary_documents.order_by("-id")[:5])
    if evaluation is None:
        context = {"referral": referral, "message": REFERRAL_NOT_EVALUATED}
        return render(request, "summaries/not_evaluated.html", context)
    summary = build_summary(referral=referral, evaluation=evaluation, decision=decision)
    context = {
        "summary": summary,
        "referral": referral,
        "documents": documents,
        "current_document": next(
            (d for d in documents[:1] if is_current(d, evaluation=evaluation, decision=decision)),
            None,
        ),
        "outcome": referral_outcome(referral),
        "banner": _banner(referral),
    }
    return render(request, SUMMARY_TEMPLATE, {**context, **_actions(request)})


@require_GET
def document_detail(request, pk: int):
    """The print page of one stored summary: what its PDF shows, and its print state."""
    document = get_object_or_404(documents_visible_to(request.user), pk=pk)
    audit_note(request, document)
    summary = build_summary(
        referral=document.referral,
        evaluation=document.evaluation,
        decision=document.decision,
        generated_at=document.rendered_at,
        document=document,
    )
    context = {
        "summary": summary,
        "document": document,
        "current_document": None,
        "referral": document.referral,
        "outcome": referral_outcome(document.referral),
        "banner": _banner(document.referral),
    }
    return render(request, SUMMARY_TEMPLATE, {**context, **_actions(request)})


@require_GET
def document_status(request, pk: int):
    """The live status panel of a summary (polled by htmx while its PDF is pending)."""
    document = get_object_or_404(documents_visible_to(request.user), pk=pk)
    audit_note(request, document)
    context = {"document": document, **_actions(request)}
    return render(request, "summaries/_document_status.html", context)


@require_GET
def document_file(request, pk: int, *, as_attachment: bool):
    """The summary's PDF, never cached; a superseded one is stamped as such on every page."""
    document = get_object_or_404(documents_visible_to(request.user), pk=pk)
    audit_note(request, document, action=AuditEvent.Action.DOWNLOAD, inline=not as_attachment)
    if document.status != SummaryDocument.Status.READY or not document.file:
        raise Http404(PDF_NOT_READY)
    try:
        with document.file.open("rb") as stored:
            pdf = stored.read()
    except FileNotFoundError:
        # The worker that rendered it writes to another MEDIA_ROOT (a volume not shared).
        logger.error("summary %s: stored PDF %s is missing", document.pk, document.file.name)
        raise Http404(PDF_NOT_READY) from None
    if hashlib.sha256(pdf).hexdigest() != document.sha256:
        logger.error("summary %s: stored PDF does not match its checksum", document.pk)
        return HttpResponse(CHECKSUM_MISMATCH, status=409, content_type="text/plain")
    filename = document.file_name
    if document.superseded_by_id is not None:  # is_superseded, as the type checker sees it
        pdf = stamp_superseded(pdf, newer_id=document.superseded_by_id)
        filename = filename.replace(".pdf", "-superseded.pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if as_attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def referral_summary_generate(request, referral_id: int):
    """Make a new PDF of the referral's summary now ("Generate PDF")."""
    require_role(request.user, Role.STAFF, Role.RADIOLOGIST)
    referral = referral_for(request.user, referral_id, purpose=Purpose.SUMMARY, related=())
    audit_note(request, referral)
    regenerate = request.POST.get("regenerate") == "1"
    try:
        document = summary_document_create(
            referral=referral, by=request.user, regenerate=regenerate
        )
    except SummaryAlreadyCurrent as exc:
        messages.info(request, str(exc))
        return redirect(exc.document)
    except SummaryError as exc:
        messages.error(request, str(exc))
        return redirect("summaries:referral-summary", referral_id=referral.pk)
    audit_note(request, document, action=AuditEvent.Action.CREATE)
    # No "being made" banner: the document's status panel says so, and says when it is ready.
    return redirect(document)


@require_POST
def document_mark_printed(request, pk: int):
    """Record that clinic staff printed the summary."""
    require_role(request.user, Role.STAFF)
    document = get_object_or_404(documents_visible_to(request.user), pk=pk)
    audit_note(request, document)
    try:
        summary_mark_printed(document=document, by=request.user)
    except SummaryError as exc:
        messages.error(request, str(exc))
        return redirect(document)
    audit_note(request, document, action=AuditEvent.Action.PRINT)
    messages.success(request, MARKED_PRINTED.format(id=document.pk))
    next_url = request.POST.get("next", "")
    # A path only: redirect() would take any other text for a view name (NoReverseMatch, 500).
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(next_url)
    return redirect(reverse("summaries:queue"))
