"""Printed referral summaries: one PDF per request, with what it reflects and its state."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def summary_upload_to(document: "SummaryDocument", filename: str) -> str:
    """Store PDFs by year and month under MEDIA_ROOT; the name carries the id only."""
    created = document.created_at or timezone.now()
    return f"summaries/{created:%Y/%m}/{document.file_name}"


class SummaryDocument(models.Model):
    """A referral summary as a PDF: which evaluation and decision it shows, and its state."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, related_name="summary_documents"
    )
    evaluation = models.ForeignKey(
        "eligibility.Evaluation", on_delete=models.PROTECT, related_name="summary_documents"
    )
    decision = models.ForeignKey(
        "reviews.ReviewDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="summary_documents",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=summary_upload_to, blank=True, default="")
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, default="")
    # A newer summary of the same referral replaces this one: it must not be printed.
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the decision it shows was made (its own creation when it shows none): the print
    # queue's order, stored so that an index gives the queue's pages in order.
    decided_or_created = models.DateTimeField(default=timezone.now, editable=False)
    # When the render task was last handed to the broker; NULL = never (broker was down).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    print_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["referral", "-created_at"]),
            # The print queue's pages (summaries.selectors.print_queue): "ready", the rest
            # of the current ones by status, and every summary ("all", "superseded").
            models.Index(
                F("decided_or_created").desc(),
                F("id").desc(),
                name="summary_queue_ready",
                condition=Q(status="ready", print_count=0, superseded_by__isnull=True),
            ),
            models.Index(
                "status",
                F("decided_or_created").desc(),
                F("id").desc(),
                name="summary_queue_current",
                condition=Q(superseded_by__isnull=True),
            ),
            models.Index(F("decided_or_created").desc(), F("id").desc(), name="summary_queue_all"),
        ]

    def __str__(self) -> str:
        return f"Summary #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("summaries:document", args=[self.pk])

    @property
    def file_name(self) -> str:
        """The download name: the summary id only, never the patient's name."""
        return f"summary-{self.pk}.pdf"

    @property
    def is_superseded(self) -> bool:
        return self.superseded_by_id is not None

    @property
    def reprint_count(self) -> int:
        """How many times it was printed again after the first time."""
        return max(self.print_count - 1, 0)

    @property
    def is_printable(self) -> bool:
        return self.status == self.Status.READY and not self.is_superseded
