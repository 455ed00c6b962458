"""Stored evaluations: what the engine was given, what it said, and under which ruleset."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class Recommendation(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    REVIEW = "review", _("Review")
    INCOMPLETE = "incomplete", _("Incomplete")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")


class Evaluation(models.Model):
    """An immutable record of one engine run on a referral; reproducible from its snapshot."""

    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, related_name="evaluations"
    )
    referral_version = models.PositiveIntegerField()
    ruleset_version = models.CharField(max_length=64)
    case = models.JSONField(help_text=_("The case given to the engine, exactly."))
    result = models.JSONField(help_text=_("The engine's result, exactly."))
    recommendation = models.CharField(max_length=16, choices=Recommendation.choices)
    flagged = models.BooleanField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["referral", "-created_at"])]

    def __str__(self) -> str:
        return f"Evaluation #{self.pk} ({self.recommendation})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Evaluations are immutable; create a new one instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Evaluations are immutable and cannot be deleted."))

    @property
    def assessed_on(self) -> date | None:
        """The date the evaluation judged its case on (the case's `assessed_on`), if it had one."""
        value = self.case.get("assessed_on")
        return date.fromisoformat(value) if value else None

    def localized_result(self) -> dict:
        """The result for people: rule wording and reasons in the active language (the stored
        `result` stays the engine's English). Worked out once per language for this instance
        (an evaluation never changes): the summary reads it for its levels and its verdict."""
        from .i18n import evaluation_result

        by_language = self.__dict__.setdefault("_localized_results", {})
        language = translation.get_language()
        if language not in by_language:
            by_language[language] = evaluation_result(self)
        return by_language[language]


class RulesetVersion(models.Model):
    """A set of threshold values under governance: proposed, approved by two leads, activated.

    The rule logic stays code; a version holds only the named thresholds of the spec, why each
    changed value changed and where it comes from, and the engine's ruleset version string
    (release + fingerprint) that evaluations made under it carry.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    thresholds = models.JSONField(help_text=_("Every named threshold of the spec and its value."))
    # {name: {"from": old, "to": new, "rationale": str, "citation": str}} against `based_on`.
    changes = models.JSONField(default=dict, blank=True)
    summary = models.TextField(blank=True, help_text=_("Why this version is proposed."))
    ruleset_version = models.CharField(max_length=64, db_index=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="ruleset_one_active_version",
            )
        ]

    def __str__(self) -> str:
        return f"Ruleset version {self.number} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("governance:version-detail", args=[self.pk])


class RulesetApproval(models.Model):
    """One governance lead's approval of a version; two, neither the proposer, approve it."""

    version = models.ForeignKey(RulesetVersion, on_delete=models.PROTECT, related_name="approvals")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(default=timezone.now, editable=False)
    comment = models.TextField()

    class Meta:
        ordering = ["approved_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "approved_by"], name="ruleset_approval_once_per_lead"
            )
        ]

    def __str__(self) -> str:
        return f"Approval of version {self.version_id} by {self.approved_by_id}"


class RulesetActivation(models.Model):
    """Each time a version became the active one (a rollback is an activation of an older one)."""

    version = models.ForeignKey(
        RulesetVersion, on_delete=models.PROTECT, related_name="activations"
    )
    previous = models.ForeignKey(
        RulesetVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(default=timezone.now, editable=False)
    reason = models.TextField(blank=True)
    is_rollback = models.BooleanField(default=False)
    # Open referrals checked for a changed recommendation (set by the background task).
    impacts_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-activated_at", "-id"]

    def __str__(self) -> str:
        return f"Activation of version {self.version_id}"


class RulesetReplay(models.Model):
    """A re-evaluation of past referrals under a version's thresholds; stores no evaluation."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    version = models.ForeignKey(RulesetVersion, on_delete=models.PROTECT, related_name="replays")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now, editable=False)
    submitted_from = models.DateField(null=True, blank=True)
    submitted_to = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Counts, transitions and per-rule changes (governance.replay.ReplayTally.as_report).
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Replay #{self.pk} of version {self.version_id} ({self.status})"


class ReplayChange(models.Model):
    """One referral whose recommendation a replay changes."""

    replay = models.ForeignKey(RulesetReplay, on_delete=models.CASCADE, related_name="changes")
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField()
    recommendation_before = models.CharField(max_length=16)
    recommendation_after = models.CharField(max_length=16)
    # [[level, before, after], ...] for the levels whose recommendation changes.
    levels = models.JSONField(default=list)

    class Meta:
        ordering = ["-is_open", "referral_id"]
        indexes = [models.Index(fields=["replay", "-is_open", "referral"])]

    def __str__(self) -> str:
        before, after = self.recommendation_before, self.recommendation_after
        return f"Referral {self.referral_id}: {before} → {after}"


class RulesetImpact(models.Model):
    """An open referral whose recommendation an activation would change, until re-evaluated."""

    activation = models.ForeignKey(
        RulesetActivation, on_delete=models.CASCADE, related_name="impacts"
    )
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.CASCADE, related_name="ruleset_impacts"
    )
    recommendation_before = models.CharField(max_length=16)
    recommendation_after = models.CharField(max_length=16)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["referral_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activation", "referral"], name="ruleset_impact_once_per_referral"
            )
        ]
        indexes = [
            models.Index(
                fields=["referral"],
                name="ruleset_impact_open_idx",
                condition=models.Q(resolved_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Referral {self.referral_id} under activation {self.activation_id}"
