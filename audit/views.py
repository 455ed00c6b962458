"""The auditor's pages: the trail filtered by user, patient, action and date, and its CSV
export (itself recorded in the trail). Superusers with a verified second factor only."""

import csv
import json
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .forms import EventFilterForm
from .models import AuditEvent
from .selectors import EventFilters, audit_events
from .services import audit_note

PAGE_SIZE = 50
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
    """The trail, newest first, 50 events a page."""
    form = _form(request)
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(audit_events(_filters(form)), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filter_query": query.urlencode()}
    status = 400 if form.is_bound and not form.is_valid() else 200
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


def _csv_rows(events):
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(EXPORT_COLUMNS)
    for event in events.values_list(*EXPORT_COLUMNS).iterator(chunk_size=EXPORT_CHUNK):
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
    last_id = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    events = audit_events(filters).filter(id__lte=last_id)
    audit_note(
        request,
        action=AuditEvent.Action.EXPORT,
        export="audit_csv",
        filters=filters.as_dict(),
        rows=events.count(),
    )
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vpselect-audit.csv"'
    return response
