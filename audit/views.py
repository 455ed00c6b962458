"""The auditor's pages: the trail filtered by user, patient, action and date, and its CSV
export (itself recorded in the trail). Superusers with a verified second factor only."""

import csv
import json
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .forms import EventFilterForm
from .models import AuditEvent
from .selectors import EventFilters, EventPage, event_page, event_rows
from .services import audit_note

EXPORT_CHUNK = 2000
EXPORT_COLUMNS = (
    "occurred_at",
    "username",
    "user_id",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_id",
    "ip",
    "request_id",
    "method",
    "path",
    "status_code",
    "details",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): an
# attempted username or a path is attacker-controlled text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def auditor_required(view):
    """Refuse (403) everyone but superusers whose session passed the second factor."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser and user.is_verified()):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _form(request) -> EventFilterForm:
    form = EventFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    return form


def _filters(form: EventFilterForm) -> EventFilters:
    return form.filters() if form.is_bound and form.is_valid() else EventFilters()


@auditor_required
@require_GET
def event_list(request):
    """The trail, newest first, 50 events a page, paged by position (Older / Newer)."""
    form = _form(request)
    query = request.GET.copy()
    for name in ("before", "after", "page"):
        query.pop(name, None)
    valid = not form.is_bound or form.is_valid()
    page = EventPage()
    if valid:
        cursors = form.cleaned_data if form.is_bound else {}
        page = event_page(
            _filters(form), before=cursors.get("before", ""), after=cursors.get("after", "")
        )
    context = {"form": form, "page": page, "filter_query": query.urlencode()}
    status = 200 if valid else 400
    return render(request, "audit/event_list.html", context, status=status)


def csv_cell(value) -> str:
    """A value as a CSV cell that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(rows):
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(EXPORT_COLUMNS)
    for event in rows:
        yield writer.writerow([csv_cell(value) for value in event])


@auditor_required
@require_GET
def event_export(request):
    """The filtered trail as CSV; the export is recorded with its filters and row count."""
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filters = _filters(form)
    # The events as they stand now: not this export's own event, written after the view.
    # The event records that bound, with the filters, instead of a row count: counting
    # millions of rows would hold back the first byte, and the two name the rows exactly.
    last_id = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    audit_note(
        request,
        action=AuditEvent.Action.EXPORT,
        export="audit_csv",
        filters=filters.as_dict(),
        up_to_event=last_id,
    )
    rows = event_rows(filters, EXPORT_COLUMNS, up_to_id=last_id, chunk=EXPORT_CHUNK)
    response = StreamingHttpResponse(_csv_rows(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vpselect-audit.csv"'
    return response
