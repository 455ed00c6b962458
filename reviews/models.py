"""Radiologists' review decisions on referrals, their countersignatures and notifications.

Decisions are signed and immutable: a correction is a new decision that `supersedes` the old
one. Notifications travel through a transactional outbox so a broker outage loses nothing.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

DECISION_IMMUTABLE = "Review decisions are immutable; record a correction instead."
COUNTERSIGNATURE_IMMUTABLE = "Countersignatures are immutable."


class ReasonCode(models.Model):
    """A coded reason a clinic can extend in the admin; the label is what the referrer reads."""

    class Kind(models.TextChoices):
        DECLINE = "decline", _("Decline reason")
        INFORMATION = "information", _("Information request")
        OVERRIDE = "override", _("Override reason")

    code = models.SlugField(max_length=64, unique=True)
    label = models.CharField(
        max_length=200, help_text=_("Plain language, shown to the referring physician.")
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    active = models.BooleanField(default=True, help_text=_("Inactive codes are no longer offered."))
    position = models.PositiveSmallIntegerField(default=0)

    # Every change of a label is kept: what a code said when a decision was signed is on the
    # decision itself (ReviewDecision.reason_label), and here for the auditor.
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "position", "code"]

    def __str__(self) -> str:
        return self.label


class ReviewDecisionQuerySet(models.QuerySet):
    # A LEFT JOIN … IS NULL: for one referral's decisions (the worklist's pending mark, the
    # decision service) it compiles and runs cheaper than NOT EXISTS. Across many referrals
    # (selectors.recent_decisions_in_effect) PostgreSQL misjudges it: use NOT EXISTS there.
    def current(self):
        """Decisions no later decision corrects."""
        return self.filter(corrections__isnull=True)

    def pending_countersignature(self):
        """Current decisions that need a second radiologist and do not have one yet."""
        return self.current().filter(requires_countersignature=True, countersignature__isnull=True)

    def awaiting_countersignature(self):
        """Pending decisions no second radiologist has refused: they wait for a signature."""
        return self.pending_countersignature().filter(countersignature_refusal__isnull=True)

    def countersignature_refused(self):
        """Pending decisions a second radiologist refused: back to the deciding radiologist."""
        return self.pending_countersignature().filter(countersignature_refusal__isnull=False)


class ReviewDecision(models.Model):
    """A radiologist's signed decision on one evaluation of a referral; never changed."""

    class Outcome(models.TextChoices):
        ACCEPT = "accept", pgettext_lazy("review decision", "Accept")
        DECLINE = "decline", pgettext_lazy("review decision", "Decline")
        REQUEST_INFORMATION = (
            "request_information",
            pgettext_lazy("review decision", "Request information"),
        )

    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, related_name="review_decisions"
    )
    evaluation = models.ForeignKey(
        "eligibility.Evaluation", on_delete=models.PROTECT, related_name="review_decisions"
    )
    referral_version = models.PositiveIntegerField()
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    levels_to_treat = models.JSONField(default=list, blank=True)
    reason_code = models.ForeignKey(
        ReasonCode, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    # The codes' wording as signed: a label renamed later in the admin does not change it.
    reason_label = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    is_override = models.BooleanField(default=False)
    override_reason = models.ForeignKey(
        ReasonCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason_label = models.CharField(max_length=200, blank=True)
    engine_recommendation = models.CharField(max_length=16)
    engine_level_recommendations = models.JSONField(default=dict)
    # Rule ids the radiologist decided against: met contraindications and unknown findings
    # of accepted levels (feeds the per-rule override table).
    overridden_rules = models.JSONField(default=list, blank=True)
    requires_countersignature = models.BooleanField(default=False)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_decisions"
    )
    decided_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReviewDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["referral", "-decided_at"]),
            models.Index(fields=["is_override"]),
            # Decisions that need a countersignature, few of all: the worklist's "pending
            # countersignature" mark and filter look them up by referral, and its counts read
            # every one of them from the index alone (with their id: no visit to the rows).
            models.Index(
                fields=["referral", "id"],
                name="decision_countersign_ids",
                condition=models.Q(requires_countersignature=True),
            ),
            # Newest first across every referral: a physician's latest decisions (the box on
            # their referral list) walk it until they find their own few, instead of reading
            # every decision of a physician's ten years of referrals.
            models.Index(
                models.OrderBy(models.F("decided_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="decision_newest_idx",
            ),
        ]
        constraints = [
            # One correction per decision: corrections form a chain, never a tree.
            models.UniqueConstraint(fields=["supersedes"], name="review_decision_one_correction")
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on referral #{self.referral_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(DECISION_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(DECISION_IMMUTABLE)

    @property
    def is_countersigned(self) -> bool:
        try:
            return self.countersignature is not None
        except Countersignature.DoesNotExist:
            return False

    @property
    def takes_effect(self) -> bool:
        """True when the decision needs no countersignature or has one."""
        return not self.requires_countersignature or self.is_countersigned

    @property
    def pending_countersignature(self) -> bool:
        """True while the decision has not taken effect (awaiting a signature or refused)."""
        return not self.takes_effect

    @property
    def countersignature_refused(self) -> bool:
        try:
            return self.countersignature_refusal is not None
        except CountersignatureRefusal.DoesNotExist:
            return False

    @property
    def awaiting_countersignature(self) -> bool:
        """True when a second radiologist may still countersign or refuse the decision."""
        return self.pending_countersignature and not self.countersignature_refused


class Countersignature(models.Model):
    """A second radiologist's signature that lets an override of an absolute rule take effect."""

    decision = models.OneToOneField(
        ReviewDecision, on_delete=models.PROTECT, related_name="countersignature"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="countersignatures"
    )
    signed_at = models.DateTimeField(default=timezone.now, editable=False)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"Countersignature of decision #{self.decision_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(COUNTERSIGNATURE_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(COUNTERSIGNATURE_IMMUTABLE)


class CountersignatureRefusal(models.Model):
    """A second radiologist's refusal to countersign an override, with the reason: the decision
    never takes effect and goes back to the deciding radiologist, who records a correction."""

    decision = models.OneToOneField(
        ReviewDecision, on_delete=models.PROTECT, related_name="countersignature_refusal"
    )
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    refused_at = models.DateTimeField(default=timezone.now, editable=False)
    reason = models.TextField()

    class Meta:
        ordering = ["-refused_at"]

    def __str__(self) -> str:
        return f"Countersignature refused on decision #{self.decision_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(COUNTERSIGNATURE_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(COUNTERSIGNATURE_IMMUTABLE)


class NotificationKind(models.TextChoices):
    REFERRAL_SUBMITTED = "referral_submitted", _("Referral submitted")
    REFERRAL_RESUBMITTED = "referral_resubmitted", _("Referral resubmitted")
    DECISION_RECORDED = "decision_recorded", _("Decision recorded")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    COUNTERSIGNATURE_NEEDED = "countersignature_needed", _("Countersignature needed")
    COUNTERSIGNATURE_REFUSED = "countersignature_refused", _("Countersignature refused")
    RULES_CHANGED = "rules_changed", _("Recommendation changes under the active rules")


class OutboxMessage(models.Model):
    """An event to notify about, written in the same transaction as the change it reports.

    Published to Celery on commit and re-published by a beat task while `sent_at` is empty;
    the consumer sets `sent_at` in the transaction that creates the notifications, so each
    message is delivered once however often it is published. The payload holds ids only.
    """

    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_unsent_idx",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Outbox #{self.pk} {self.kind}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notification; its text is built when shown, from the ids it points to."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.CASCADE, related_name="notifications"
    )
    decision = models.ForeignKey(
        ReviewDecision,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # The outbox message that produced it: one notification per message and recipient.
    outbox_message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["outbox_message", "recipient"], name="notification_once_per_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (referral #{self.referral_id})"


def _attachment_storage():
    from django.core.files.storage import storages

    return storages["attachments"]


def _attachment_path(attachment: "InformationAttachment", filename: str) -> str:
    """A random name under the year and month: the stored name says nothing of the patient."""
    import uuid

    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
        attachment.content_type, "bin"
    )
    return timezone.now().strftime(f"answers/%Y/%m/{uuid.uuid4().hex}.{extension}")


class InformationReply(models.Model):
    """The referring physician's answer to a radiologist's information request; never changed.

    The question is the request decision it answers (its reason and comment); files the
    physician sends with it are its attachments.
    """

    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, related_name="information_replies"
    )
    request = models.ForeignKey(
        ReviewDecision, on_delete=models.PROTECT, related_name="information_replies"
    )
    text = models.TextField(blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["written_at", "id"]
        indexes = [models.Index(fields=["referral", "written_at"])]

    def __str__(self) -> str:
        return f"Answer #{self.pk} on referral #{self.referral_id}"


class InformationAttachment(models.Model):
    """A file (PDF, PNG or JPEG, checked by content) sent with an answer, in private storage."""

    class ContentType(models.TextChoices):
        PDF = "application/pdf", "PDF"
        PNG = "image/png", _("PNG image")
        JPEG = "image/jpeg", _("JPEG image")

    reply = models.ForeignKey(
        InformationReply, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(storage=_attachment_storage, upload_to=_attachment_path)
    # The name the physician's file had: shown and offered on download, never a path.
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=32, choices=ContentType.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["reply", "id"]

    def __str__(self) -> str:
        return f"Attachment #{self.pk} of answer #{self.reply_id}"

    @property
    def referral(self):
        """The referral it was sent for (the audit trail names its patient)."""
        return self.reply.referral
