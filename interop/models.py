"""What the EHR connection stores: CDS Hooks evaluations, clinicians' feedback on the cards,
and the launches that turn a card's link into a prefilled draft referral.

FHIR exports are recorded in the audit trail (audit.AuditEvent, action "export" or
"download"), not here.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

CDS_EVALUATION_IMMUTABLE = _("CDS evaluations are immutable; a new hook call makes a new one.")


class CdsLaunch(models.Model):
    """The case a CDS card mapped from the EHR's data, waiting behind the card's link.

    The link carries only the random id: the patient's details and answers stay here.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # {"mrn", "given_name", "family_name", "date_of_birth", "sex"}: what the EHR sent,
    # any of them possibly absent.
    patient = models.JSONField(default=dict, blank=True)
    case = models.JSONField(help_text=_("The case mapped from the EHR's FHIR resources."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    # Set by the first physician who opens the link; later opens go to the same referral.
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"CDS launch {self.pk}"

    def is_expired(self, *, now) -> bool:
        return now >= self.expires_at


class CdsEvaluation(models.Model):
    """One card's worth of advice: the case mapped from a hook call, the engine's result and
    the card returned, so feedback on the card links to exactly what was said."""

    class Indicator(models.TextChoices):
        INFO = "info", pgettext_lazy("CDS card indicator", "Info")
        WARNING = "warning", pgettext_lazy("CDS card indicator", "Warning")
        CRITICAL = "critical", pgettext_lazy("CDS card indicator", "Critical")

    card_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    service_id = models.CharField(max_length=64)
    hook = models.CharField(max_length=32)
    hook_instance = models.CharField(max_length=100)
    evaluated_on = models.DateField(help_text=_("The date the case was evaluated at (its today)."))
    ruleset_version = models.CharField(max_length=64)
    case = models.JSONField(help_text=_("The case mapped from the EHR's resources, as evaluated."))
    result = models.JSONField(
        null=True, blank=True, help_text=_("The engine's result; empty when no level was given.")
    )
    recommendation = models.CharField(max_length=16)
    indicator = models.CharField(max_length=8, choices=Indicator.choices)
    # The rules the card is about (met contraindications, or unknown findings), for the
    # per-rule override statistics.
    rules = models.JSONField(default=list, blank=True)
    missing = models.JSONField(default=list, blank=True)
    # Case paths whose EHR values could not be used (not valid for the engine).
    ignored = models.JSONField(default=list, blank=True)
    card = models.JSONField(help_text=_("The card as returned to the EHR."))
    launch = models.ForeignKey(
        CdsLaunch, on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["hook_instance"])]

    def __str__(self) -> str:
        return f"CDS evaluation #{self.pk} ({self.recommendation})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(CDS_EVALUATION_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(CDS_EVALUATION_IMMUTABLE)


class CdsFeedback(models.Model):
    """What the clinician did with a card, as the EHR reported it to the feedback endpoint."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", pgettext_lazy("CDS card outcome", "Accepted")
        OVERRIDDEN = "overridden", pgettext_lazy("CDS card outcome", "Overridden")

    evaluation = models.ForeignKey(CdsEvaluation, on_delete=models.PROTECT, related_name="feedback")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    accepted_suggestions = models.JSONField(default=list, blank=True)
    reason_system = models.CharField(max_length=255, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    reason_display = models.CharField(max_length=200, blank=True)
    # True when the reason is one VPSelect offered on the card (clients may add their own).
    reason_offered = models.BooleanField(default=False)
    user_comment = models.TextField(blank=True)
    outcome_at = models.DateTimeField(help_text=_("When the clinician acted (from the EHR)."))
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["outcome", "reason_code"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} card of CDS evaluation #{self.evaluation_id}"
