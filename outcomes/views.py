"""Pages of the outcomes app: bind the form, call one service or selector, respond."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mixins import require_clinician, require_role
from audit.models import AuditEvent
from audit.services import audit_note
from patients.selectors import patient_banner

from . import charts, cohort, invitations, selectors, services
from .forms import CohortFilterForm, FollowUpForm, PatientContactForm, ProcedureForm
from .models import FollowUp

PROCEDURE_RECORDED = _("Procedure recorded; its six follow-ups are scheduled.")
FOLLOW_UP_RECORDED = _("{interval} follow-up recorded.")
REMINDERS_READ = _("Reminders marked as read.")
CONTACT_SAVED = _("Contact and consent saved.")
CALL_NOTED = _("Call noted.")


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's field errors next to their fields (others at the top of the form)."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


@require_GET
def outcomes_index(request):
    """Accepted referrals awaiting their procedure, and the latest procedures."""
    require_role(request.user, *selectors.VIEWING_ROLES)
    can_record = selectors.can_record(request.user)
    # Only the page number comes from the URL: the lists hold no filter.
    awaiting = selectors.awaiting_procedure_page(request.GET.get("page")) if can_record else None
    context = {
        "can_record": can_record,
        "awaiting_page": awaiting,
        "awaiting": awaiting.object_list if awaiting else [],
        "procedures": selectors.recent_procedures(request.user, today=timezone.localdate()),
    }
    return render(request, "outcomes/index.html", context)


def _banner(referral):
    return patient_banner(patient=referral.patient, referral=referral, today=timezone.localdate())


@require_GET
def referral_outcome(request, referral_id: int):
    """The patient's procedure, follow-ups and pain chart (physicians: their own, read-only)."""
    require_role(request.user, *selectors.VIEWING_ROLES)
    referral = selectors.referral_for_outcomes(request.user, referral_id)
    procedure = selectors.procedure_of(referral)
    audit_note(request, referral)
    context = {
        "referral": referral,
        "procedure": procedure,
        "summary": (
            selectors.procedure_summary_of(procedure, today=timezone.localdate())
            if procedure
            else None
        ),
        "can_record": selectors.can_record(request.user),
        "contact": selectors.contact_of(referral.patient),
        "today": timezone.localdate(),
        "banner": _banner(referral),
    }
    return render(request, "outcomes/referral_outcome.html", context)


@require_http_methods(["GET", "POST"])
def procedure_create(request, referral_id: int):
    """Record the procedure of an accepted referral."""
    require_clinician(request.user, *selectors.RECORDING_ROLES)
    referral = selectors.referral_for_outcomes(request.user, referral_id)
    if hasattr(referral, "procedure"):
        return redirect("outcomes:referral-outcome", referral_id=referral.pk)
    decision = selectors.effective_accept_decision(referral)
    if decision is None:
        raise Http404
    form = ProcedureForm(request.POST or None, accepted_levels=decision.levels_to_treat)
    if request.method == "POST" and form.is_valid():
        try:
            procedure = services.procedure_record(
                referral=referral,
                by=request.user,
                today=timezone.localdate(),
                **form.service_arguments(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            audit_note(request, procedure, action=AuditEvent.Action.CREATE)
            messages.success(request, PROCEDURE_RECORDED)
            return redirect("outcomes:referral-outcome", referral_id=referral.pk)
    audit_note(request, referral)
    context = {
        "referral": referral,
        "decision": decision,
        "form": form,
        "banner": _banner(referral),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "outcomes/procedure_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def follow_up_record(request, follow_up_id: int):
    """Record one follow-up of a procedure."""
    require_clinician(request.user, *selectors.RECORDING_ROLES)
    follow_up = get_object_or_404(
        FollowUp.objects.select_related("procedure__referral__patient"), pk=follow_up_id
    )
    referral = follow_up.procedure.referral
    if follow_up.is_completed:
        return redirect("outcomes:referral-outcome", referral_id=referral.pk)
    form = FollowUpForm(
        request.POST or None, initial={"assessed_on": timezone.localdate().isoformat()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_record(
                follow_up=follow_up,
                by=request.user,
                today=timezone.localdate(),
                **form.service_arguments(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            audit_note(request, referral, action=AuditEvent.Action.CHANGE)
            label = follow_up.interval_spec.label
            messages.success(request, FOLLOW_UP_RECORDED.format(interval=str(label).capitalize()))
            return redirect("outcomes:referral-outcome", referral_id=referral.pk)
    audit_note(request, referral)
    context = {
        "referral": referral,
        "follow_up": follow_up,
        "form": form,
        "banner": _banner(referral),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "outcomes/follow_up_form.html", context, status=status)


@require_GET
def pain_chart(request, referral_id: int):
    """The patient's pain-over-time chart as a standalone SVG document."""
    require_role(request.user, *selectors.VIEWING_ROLES)
    referral = selectors.referral_for_outcomes(request.user, referral_id)
    procedure = selectors.procedure_of(referral)
    if procedure is None:
        raise Http404
    audit_note(request, referral)
    svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + charts.pain_chart_svg(
        selectors.pain_points(procedure)
    )
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@require_GET
def follow_ups_due(request, *, older: bool = False):
    """Follow-ups due and overdue for the clinic within a year, and the user's unread
    reminders; or (`older`) the follow-ups overdue for longer."""
    require_role(request.user, *selectors.RECORDING_ROLES)
    today = timezone.localdate()
    page = selectors.open_follow_ups_page(
        today=today,
        older=older,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    context = {"follow_ups_page": page, "follow_ups": page.rows, "older": older, "today": today}
    if not older:
        context |= {
            "reminders": list(selectors.unread_reminders(request.user)[:50]),
            "chase_list": list(selectors.chase_list()[: selectors.CHASE_LIST_SIZE]),
            "has_older": selectors.has_older_open_follow_ups(today=today),
        }
    return render(request, "outcomes/follow_ups_due.html", context)


@require_POST
def reminders_read(request):
    """Mark all of the user's reminders read."""
    require_role(request.user, *selectors.RECORDING_ROLES)
    services.reminders_mark_read(user=request.user)
    messages.info(request, REMINDERS_READ)
    return redirect("outcomes:follow-ups-due")


@require_GET
def dashboard(request):
    """The cohort: median pain with IQR per interval, improvement shares, complications."""
    require_role(request.user, *selectors.DASHBOARD_ROLES)
    form = CohortFilterForm(request.GET)
    filters = form.filters()
    context = {"form": form, "report": cohort.cohort_report(filters), "filters": filters}
    return render(request, "outcomes/dashboard.html", context)


# Procedures read per query by the export (about six rows each).
EXPORT_CHUNK = 500


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows):
    writer = csv.DictWriter(_Echo(), fieldnames=cohort.EXPORT_COLUMNS, lineterminator="\r\n")
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow(row)


@require_GET
def dashboard_csv(request):
    """The selected cohort's follow-ups as CSV (one row per follow-up), streamed as it is
    read, audited as an export."""
    require_role(request.user, *selectors.DASHBOARD_ROLES)
    filters = CohortFilterForm(request.GET).filters()
    # The procedures as they stand now. The event records that bound with the filters,
    # instead of a row count: the rows are sent after the event is written, and filters and
    # bound name them exactly.
    last_id = cohort.last_procedure_id()
    audit_note(
        request,
        action=AuditEvent.Action.EXPORT,
        export="outcomes_cohort_csv",
        filters=filters.as_dict(),
        up_to_procedure=last_id,
    )
    rows = cohort.export_rows(filters, up_to_id=last_id, chunk=EXPORT_CHUNK)
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vpselect-outcomes.csv"'
    return response


@require_http_methods(["GET", "POST"])
def patient_contact(request, referral_id: int):
    """Record the patient's contact details, language and consent to questionnaires."""
    require_role(request.user, *selectors.RECORDING_ROLES)
    referral = selectors.referral_for_outcomes(request.user, referral_id)
    patient = referral.patient
    contact = selectors.contact_of(patient)
    form = PatientContactForm.for_contact(contact, request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            contact = invitations.patient_contact_save(
                patient=patient,
                by=request.user,
                today=timezone.localdate(),
                now=timezone.now(),
                **form.service_arguments(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            audit_note(request, contact, action=AuditEvent.Action.CHANGE)
            messages.success(request, CONTACT_SAVED)
            return redirect("outcomes:referral-outcome", referral_id=referral.pk)
    audit_note(request, patient)
    context = {"referral": referral, "contact": contact, "form": form, "banner": _banner(referral)}
    status = 400 if request.method == "POST" else 200
    return render(request, "outcomes/contact_form.html", context, status=status)


@require_POST
def follow_up_called(request, follow_up_id: int):
    """Note that the patient was called about this follow-up (clears "needs a call")."""
    require_role(request.user, *selectors.RECORDING_ROLES)
    follow_up = get_object_or_404(
        FollowUp.objects.select_related("procedure__referral"), pk=follow_up_id
    )
    audit_note(request, follow_up.procedure.referral, action=AuditEvent.Action.CHANGE)
    try:
        invitations.follow_up_mark_called(follow_up=follow_up, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, CALL_NOTED)
    return redirect("outcomes:follow-ups-due")
