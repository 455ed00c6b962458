"""Writing audit events. Views mark what they showed with `audit_note`; the middleware writes."""

from django.db import models
from django.http import HttpRequest

from vpselect.clientip import client_ip  # one rule for axes and the trail

from .models import AuditEvent


def patient_id_of(obj: object) -> int | None:
    """The patient an object belongs to, without a query when the ids are at hand."""
    if obj is None:
        return None
    if obj._meta.label == "patients.Patient":  # type: ignore[attr-defined]
        return obj.pk  # type: ignore[attr-defined]
    for attribute in ("patient_id",):
        if getattr(obj, attribute, None) is not None:
            return getattr(obj, attribute)
    referral = getattr(obj, "referral", None)
    if referral is not None:
        return referral.patient_id
    return None


def audit_note(
    request: HttpRequest, obj: models.Model | None = None, *, action: str | None = None, **details
) -> None:
    """Tell the audit middleware which object this request showed or changed, and how."""
    if obj is not None:
        request.audit_object = obj  # type: ignore[attr-defined]
    if action is not None:
        request.audit_action = action  # type: ignore[attr-defined]
    if details:
        request.audit_details = {**getattr(request, "audit_details", {}), **details}  # type: ignore[attr-defined]


def audit_record(
    *,
    action: str,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    user=None,
    username: str = "",
    obj: models.Model | None = None,
    patient_id: int | None = None,
    request: HttpRequest | None = None,
    status_code: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to the trail."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        user=user,
        username=username or (user.get_username() if user is not None else ""),
        action=action,
        outcome=outcome,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id if patient_id is not None else patient_id_of(obj),
        ip=client_ip(request),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        method=request.method or "" if request is not None else "",
        path=request.path[:300] if request is not None else "",
        status_code=status_code,
        details=details or {},
    )


def mrn_digest(mrn: str) -> str:
    """A keyed hash of an MRN: the trail can tell repeated tries apart without holding it."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("vpselect.audit.mrn", mrn.strip().casefold(), algorithm="sha256").hexdigest()
