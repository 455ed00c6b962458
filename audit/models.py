"""The audit trail: one append-only row per access to or change of patient data, and per
authentication event. PostgreSQL rejects UPDATE and DELETE on the table (a trigger)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", pgettext_lazy("audit action", "View")
        CREATE = "create", pgettext_lazy("audit action", "Create")
        CHANGE = "change", pgettext_lazy("audit action", "Change")
        DELETE = "delete", pgettext_lazy("audit action", "Delete")
        PRINT = "print", pgettext_lazy("audit action", "Print")
        DOWNLOAD = "download", pgettext_lazy("audit action", "Download")
        EXPORT = "export", pgettext_lazy("audit action", "Export")
        LOGIN = "login", pgettext_lazy("audit action", "Login")
        LOGOUT = "logout", pgettext_lazy("audit action", "Logout")
        LOGIN_FAILED = "login_failed", pgettext_lazy("audit action", "Failed login")
        LOCKOUT = "lockout", pgettext_lazy("audit action", "Lockout")
        DENIED = "denied", pgettext_lazy("audit action", "Permission denied")
        OTP_ENROL = "otp_enrol", pgettext_lazy("audit action", "Second factor enrolled")
        OTP_FAILED = "otp_failed", pgettext_lazy("audit action", "Failed second-factor code")
        MRN_REFUSED = (
            "mrn_refused",
            pgettext_lazy("audit action", "Refused MRN of another physician's patient"),
        )

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Failed")
        ERROR = "error", _("Error")

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
    path = models.CharField(max_length=300, blank=True, help_text=_("Without the query string."))
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
            raise ValidationError(_("Audit events are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit events are append-only."))

    # The trail's pages word the action and outcome of every row (50 a page). Django's
    # get_action_display() builds the choices' dict again on each call and translates every
    # lazy label to hash it: 19 translations a row, a quarter of the page's CPU (in-process on
    # the bench: 19.9 -> 14.6 ms a request). These read a dict built once; the words are the
    # same.
    @property
    def action_label(self) -> str:
        """The action in the reader's language ("Failed login")."""
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def outcome_label(self) -> str:
        """The outcome in the reader's language ("Denied")."""
        return str(OUTCOME_LABELS.get(self.outcome, self.outcome))


ACTION_LABELS = dict(AuditEvent.Action.choices)
OUTCOME_LABELS = dict(AuditEvent.Outcome.choices)
