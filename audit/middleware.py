"""Request ids and the per-request audit event."""

import re
import uuid

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
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        if not authenticated and response.status_code not in (401, 403):
            return response  # anonymous visits to the login page are not patient data
        status = response.status_code
        match = getattr(request, "resolver_match", None)
        details = {"view": match.view_name} if match is not None else {}
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
