"""Reads of the summaries app: the documents a user may open (`patients.access`, Purpose.SUMMARY),
the print queue, current state."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.roles import Role, has_role
from patients.access import Purpose, referrals_visible_to
from patients.models import Referral
from vpselect.keyset import Keyset, KeysetPage

from .models import SummaryDocument


def may_request_pdf(user) -> bool:
    """Radiologists and clinic staff may have a PDF made; it changes no clinical data."""
    return has_role(user, Role.RADIOLOGIST, Role.STAFF)


def may_mark_printed(user) -> bool:
    return has_role(user, Role.STAFF)


def _with_related(queryset: QuerySet[SummaryDocument]) -> QuerySet[SummaryDocument]:
    return queryset.select_related(
        "referral__patient",
        "referral__physician",
        "evaluation",
        "decision__reason_code",
        "decision__override_reason",
        "decision__decided_by",
        "decision__countersignature__signed_by",
        "printed_by",
    )


def documents_visible_to(user) -> QuerySet[SummaryDocument]:
    return _with_related(
        SummaryDocument.objects.filter(
            referral__in=referrals_visible_to(user, purpose=Purpose.SUMMARY).values("pk")
        )
    )


def referral_current_state(referral: Referral):
    """(evaluation, decision) a summary of the referral shows now.

    The decision is the latest one made on the latest evaluation; a decision on an older
    evaluation (the referral was resubmitted since) no longer applies, so there is none.
    """
    evaluation = referral.latest_evaluation
    if evaluation is None:
        return None, None
    decision = (
        evaluation.review_decisions.select_related(
            "reason_code",
            "override_reason",
            "decided_by",
            "countersignature__signed_by",
        )
        .order_by("-decided_at", "-id")
        .first()
    )
    return evaluation, decision


def is_current(document: SummaryDocument, *, evaluation, decision) -> bool:
    """Whether the summary shows this evaluation and decision and is ready or being made."""
    return (
        document.evaluation_id == evaluation.pk
        and document.decision_id == (decision.pk if decision is not None else None)
        and document.superseded_by_id is None
        and document.status != SummaryDocument.Status.FAILED
    )


def current_document(referral: Referral, *, evaluation, decision) -> SummaryDocument | None:
    """The referral's newest summary if it shows this evaluation and decision (else None)."""
    newest = SummaryDocument.objects.filter(referral_id=referral.pk).order_by("-id").first()
    if newest is None or not is_current(newest, evaluation=evaluation, decision=decision):
        return None
    return newest


def referral_outcome(referral: Referral) -> dict | None:
    """The procedure and latest follow-up of the referral, for the summary, or None.

    No query when the referral was loaded with `select_related("procedure")` and has none.
    """
    from outcomes.selectors import procedure_summary

    procedure = Referral._meta.get_field("procedure")
    if procedure.is_cached(referral) and procedure.get_cached_value(referral) is None:
        return None
    return procedure_summary(referral)


class QueueStatus:
    """The print queue's status filter values."""

    READY = "ready"
    PRINTED = "printed"
    PENDING = "pending"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    ALL = "all"
    CHOICES = (
        (READY, _("Ready to print")),
        (PRINTED, _("Printed")),
        (PENDING, _("Pending")),
        (FAILED, _("Failed")),
        (SUPERSEDED, _("Superseded")),
        (ALL, pgettext_lazy("every print status", "All")),
    )


@dataclass(frozen=True)
class QueueFilters:
    status: str = QueueStatus.READY
    decided_from: date | None = None
    decided_to: date | None = None


QUEUE_ORDER = Keyset("decided_or_created", descending=True)
# The columns a queue row shows (templates/summaries/print_queue.html), and nothing else:
# not the referral's answers, the decision's engine JSON or the printer's password hash.
QUEUE_ROW_FIELDS = (
    "status",
    "print_count",
    "printed_at",
    "superseded_by_id",
    "decided_or_created",
    "referral__patient__given_name",
    "referral__patient__family_name",
    "referral__patient__mrn",
    "decision__outcome",
    "decision__levels_to_treat",
    "decision__requires_countersignature",
    "decision__countersignature__id",
    "printed_by__username",
    "printed_by__first_name",
    "printed_by__last_name",
)
QUEUE_PAGE_SIZE = 25


def print_queue(filters: QueueFilters) -> QuerySet[SummaryDocument]:
    """Summaries for clinic staff, newest decisions first (summaries without one by creation).

    "Ready" means ready, current and not yet printed; "printed" the current ones printed at
    least once; "superseded" those replaced by a newer summary. Each filter with the order is
    an index range (the model's queue indexes).
    """
    # What a row shows: the patient, the decision and its countersignature, who printed it
    # (not the evaluation's case and result, which the rows do not show).
    queryset = SummaryDocument.objects.select_related(
        "referral__patient", "decision__countersignature", "printed_by"
    ).only(*QUEUE_ROW_FIELDS)
    current = queryset.filter(superseded_by__isnull=True)
    by_status = {
        QueueStatus.READY: current.filter(status=SummaryDocument.Status.READY, print_count=0),
        QueueStatus.PRINTED: current.filter(status=SummaryDocument.Status.READY, print_count__gt=0),
        QueueStatus.PENDING: current.filter(status=SummaryDocument.Status.PENDING),
        QueueStatus.FAILED: current.filter(status=SummaryDocument.Status.FAILED),
        QueueStatus.SUPERSEDED: queryset.filter(superseded_by__isnull=False),
    }
    queryset = by_status.get(filters.status, queryset)
    # Bounds on the moment itself (not its date), so that the index serves the range.
    if filters.decided_from is not None:
        queryset = queryset.filter(decided_or_created__gte=_start_of(filters.decided_from))
    if filters.decided_to is not None:
        next_day = filters.decided_to + timedelta(days=1)
        queryset = queryset.filter(decided_or_created__lt=_start_of(next_day))
    return QUEUE_ORDER.order_by(queryset)


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def print_queue_page(
    filters: QueueFilters, *, after: str = "", before: str = "", size: int | None = None
) -> KeysetPage:
    """The queue's page just after the cursor `after` (older), just before `before` (newer),
    or its first: one query, no count. A cursor that is not one gives the first page."""
    size = size or QUEUE_PAGE_SIZE
    try:
        return QUEUE_ORDER.page(print_queue(filters), after=after, before=before, size=size)
    except ValueError:
        return QUEUE_ORDER.page(print_queue(filters), size=size)
