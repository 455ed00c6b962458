"""Reads of the audit trail for the auditor: filtered events, newest first."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from .models import AuditEvent


@dataclass(frozen=True)
class EventFilters:
    """What the auditor is looking for; empty values filter nothing."""

    user: str = ""
    patient_id: int | None = None
    action: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict:
        """The filters as JSON-ready values, for the audit event of an export."""
        return {
            "user": self.user,
            "patient_id": self.patient_id,
            "action": self.action,
            "outcome": self.outcome,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def audit_events(filters: EventFilters) -> QuerySet[AuditEvent]:
    """The events matching the filters, newest first; dates are days in the site's time zone."""
    events = AuditEvent.objects.order_by("-occurred_at", "-id")
    if filters.user:
        events = events.filter(username__iexact=filters.user)
    if filters.patient_id is not None:
        events = events.filter(patient_id=filters.patient_id)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.date_from:
        events = events.filter(occurred_at__date__gte=filters.date_from)
    if filters.date_to:
        events = events.filter(occurred_at__date__lte=filters.date_to)
    return events
