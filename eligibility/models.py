"""Stored evaluations: what the engine was given, what it said, and under which ruleset."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Recommendation(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    REVIEW = "review", "Review"
    INCOMPLETE = "incomplete", "Incomplete"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class Evaluation(models.Model):
    """An immutable record of one engine run on a referral; reproducible from its snapshot."""

    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, related_name="evaluations"
    )
    referral_version = models.PositiveIntegerField()
    ruleset_version = models.CharField(max_length=64)
    case = models.JSONField(help_text="The case given to the engine, exactly.")
    result = models.JSONField(help_text="The engine's result, exactly.")
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
            raise ValidationError("Evaluations are immutable; create a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Evaluations are immutable and cannot be deleted.")
