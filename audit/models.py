"""The audit trail: one append-only row per access to or change of patient data, and per
authentication event. PostgreSQL rejects UPDATE and DELETE on the table (a trigger)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", "View"
        CREATE = "create", "Create"
        CHANGE = "change", "Change"
        DELETE = "delete", "Delete"
        PRINT = "print", "Print"
        DOWNLOAD = "download", "Download"
        EXPORT = "export", "Export"
        LOGIN = "login", "Login"
        LOGOUT = "logout", "Logout"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKOUT = "lockout", "Lockout"
        DENIED = "denied", "Permission denied"
        OTP_ENROL = "otp_enrol", "Second factor enrolled"
        OTP_FAILED = "otp_failed", "Failed second-factor code"
        MRN_REFUSED = "mrn_refused", "Refused MRN of another physician's patient"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        DENIED = "denied", "Denied"
        FAILED = "failed", "Failed"
        ERROR = "error", "Error"

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint: deleting a user must never touch (or be blocked by) the trail.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True, help_text="Without the query string.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-occurred_at"]),
            models.Index(fields=["action", "-occurred_at"]),
            # The auditor's filters, in the trail's order (docs/performance.md, issue 25).
            models.Index(
                F("patient_id"),
                F("occurred_at").desc(),
                F("id").desc(),
                name="audit_patient_recent",
            ),
            models.Index(
                Upper("username"),
                F("occurred_at").desc(),
                F("id").desc(),
                name="audit_username_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only.")
