"""Request ids and the per-request audit event."""

import re
import uuid

from django.core.exceptions import ValidationError

from .models import AuditEvent
from .services import audit_record

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,36}$")
# Not patient data, and hit constantly by machines.
_SKIPPED_PREFIXES = ("/static/", "/healthz", "/readyz", "/favicon.ico")


def _outcome(status: int) -> str:
    if status in (401, 403, 404, 429):
        return AuditEvent.Outcome.DENIED
    if status >= 500:
        return AuditEvent.Outcome.ERROR
    if status >= 400:
        return AuditEvent.Outcome.FAILED
    return AuditEvent.Outcome.SUCCESS


def _default_action(method: str, status: int) -> str:
    if status in (403, 404):
        return AuditEvent.Action.DENIED
    if method in ("GET", "HEAD"):
        return AuditEvent.Action.VIEW
    return AuditEvent.Action.CHANGE


def _admin_object(match):
    """The record an admin page of one object shows (change, delete, history, a version), so
    that the event names its patient; None for other pages."""
    if match is None or match.app_name != "admin" or not match.url_name:
        return None
    object_id = match.kwargs.get("object_id") or (match.args[0] if match.args else None)
    if object_id is None:
        return None
    from django.contrib import admin
    from django.contrib.admin.utils import unquote

    for model in admin.site._registry:
        if match.url_name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            try:
                return model._default_manager.filter(pk=unquote(object_id)).first()
            except (ValueError, ValidationError):
                return None
    return None


def _admin_list_patient_ids(match, response) -> list[int] | None:
    """The patients an admin list page showed (Patient rows, and rows with a `patient_id`)."""
    if (
        match is None
        or match.app_name != "admin"
        or not (match.url_name or "").endswith("_changelist")
    ):
        return None
    changelist = (getattr(response, "context_data", None) or {}).get("cl")
    if changelist is None:
        return None
    ids = set()
    for row in changelist.result_list:
        if row._meta.label == "patients.Patient":
            ids.add(row.pk)
        elif getattr(row, "patient_id", None) is not None:
            ids.add(row.patient_id)
    return sorted(ids) if ids else None


class AuditMiddleware:
    """Give every request an id and append an audit event for every signed-in request.

    Views say which object they showed with `audit.services.audit_note`; without a note the
    event still records who, what path, when, from where and with what outcome.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if request.path.startswith(_SKIPPED_PREFIXES):
            return response
        if getattr(request, "audit_recorded", False):
            return response  # the view wrote its own event (the CDS Hooks endpoints do)
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        if not authenticated and response.status_code not in (401, 403):
            return response  # anonymous visits to the login page are not patient data
        status = response.status_code
        match = getattr(request, "resolver_match", None)
        if authenticated and status < 400 and getattr(request, "audit_object", None) is None:
            shown = _admin_object(match)
            if shown is not None:
                request.audit_object = shown
        details = {"view": match.view_name} if match is not None else {}
        if authenticated and status == 200:
            listed = _admin_list_patient_ids(match, response)
            if listed:
                details["patient_ids"] = listed
        details.update(getattr(request, "audit_details", {}))
        audit_record(
            action=getattr(request, "audit_action", None)
            or _default_action(request.method, status),
            outcome=_outcome(status),
            user=user if authenticated else None,
            obj=getattr(request, "audit_object", None),
            request=request,
            status_code=status,
            details=details,
        )
        return response
