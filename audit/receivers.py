"""Authentication events and record versions go to the audit trail as they happen."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

from .models import AuditEvent
from .services import audit_record

_HISTORY_ACTIONS = {
    "+": AuditEvent.Action.CREATE,
    "~": AuditEvent.Action.CHANGE,
    "-": AuditEvent.Action.DELETE,
}


@receiver(user_logged_in, dispatch_uid="audit.login")
def on_login(sender, request, user, **kwargs):
    audit_record(action=AuditEvent.Action.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def on_logout(sender, request, user, **kwargs):
    audit_record(action=AuditEvent.Action.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username only: never the password.
    audit_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        outcome=AuditEvent.Outcome.FAILED,
        username=str(credentials.get("username", ""))[:150],
        request=request,
    )


@receiver(user_locked_out, dispatch_uid="audit.lockout")
def on_lockout(sender, request, username, ip_address, **kwargs):
    audit_record(
        action=AuditEvent.Action.LOCKOUT,
        outcome=AuditEvent.Outcome.DENIED,
        username=str(username or "")[:150],
        request=request,
    )


@receiver(post_create_historical_record, dispatch_uid="audit.history")
def on_history_record(sender, instance, history_instance, history_user=None, **kwargs):
    """Every create, change and delete of a history-tracked record, linked to its version."""
    request = getattr(HistoricalRecords.context, "request", None)
    audit_record(
        action=_HISTORY_ACTIONS[history_instance.history_type],
        user=history_user,
        obj=instance,
        request=request,
        details={
            "history_model": history_instance._meta.label_lower,
            "history_id": history_instance.history_id,
        },
    )
