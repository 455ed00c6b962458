"""Reads of the audit trail for the auditor: filtered events, newest first."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from vpselect.keyset import Keyset

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
    # Bounds on occurred_at itself (not its date), so that its index serves the range.
    if filters.date_from:
        events = events.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        events = events.filter(occurred_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return events


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Pages by position (keyset), not by number ----------------------------------------------
# A page is "the events older (or newer) than this one": an index range read, the same cost
# on the first page and the thousandth, and no COUNT over millions of rows.

PAGE_SIZE = 50
NEWEST_FIRST = Keyset("occurred_at", descending=True)


def cursor_of(event: AuditEvent) -> str:
    """An event's position in the trail's order, for a page link: microseconds.id."""
    return NEWEST_FIRST.cursor_of(event)


def parse_cursor(text: str) -> tuple[datetime, int]:
    """(occurred_at, id) of a cursor; ValueError when it is not one."""
    return NEWEST_FIRST.parse(text, AuditEvent)


@dataclass(frozen=True)
class EventPage:
    """One page of the trail, newest first, and the cursors of its neighbours ("" if none)."""

    events: list[AuditEvent] = field(default_factory=list)
    older: str = ""
    newer: str = ""

    @property
    def is_first(self) -> bool:
        return not self.newer


def event_page(
    filters: EventFilters, *, before: str = "", after: str = "", size: int = PAGE_SIZE
) -> EventPage:
    """The `size` events just older than `before`, or just newer than `after`, or the newest:
    one query. Cursors come from `cursor_of` (the form checks them)."""
    page = NEWEST_FIRST.page(audit_events(filters), after=before, before=after, size=size)
    return EventPage(page.rows, older=page.next, newer=page.previous)


def event_rows(
    filters: EventFilters, columns: tuple[str, ...], *, up_to_id: int, chunk: int
) -> Iterator[tuple]:
    """The filtered events up to `up_to_id` as value tuples, newest first, read `chunk` at a
    time by position: no server-side cursor (PgBouncer's transaction mode has none), and no
    more than a chunk in memory."""
    events = audit_events(filters).filter(id__lte=up_to_id)
    for rows in NEWEST_FIRST.batches(events.values_list("occurred_at", "id", *columns), size=chunk):
        for row in rows:
            yield row[2:]
