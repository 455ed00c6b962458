"""Physician pages: patients, "My referrals", the intake form and its live evaluation.

Every view requires the physician role (superusers pass) and reaches objects only through
the selectors, which answer 404 for other physicians' patients and referrals. Searches are
posted, never put in the URL: a patient's name or MRN is PHI.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mixins import require_clinician, require_role
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import audit_note
from eligibility.engine import CaseValidationError
from vpselect.reversing import url_of

from . import selectors, services
from .forms import (
    MAX_LEVELS,
    MRN_TAKEN,
    IntakeForm,
    LevelFormSet,
    PatientForm,
    SearchForm,
    rebased_data,
)
from .models import PHYSICIAN_EDITABLE_STATUSES, REFERRAL_STATUS_LABELS, Patient, Referral
from .templatetags.findings import recommendation_label

PAGE_SIZE = 25
NO_LEVELS_YET = "Add a target level and choose its level to see the recommendation."
CASE_NOT_VALID = "The answers cannot be evaluated yet:"
DRAFT_SAVED = "Draft saved."
DRAFT_SAVED_EXCEPT = (
    "Draft saved, except the answers marked below: they are not valid and were not saved."
)
SUBMITTED = "Referral submitted. Recommendation: {recommendation}."
NOT_SUBMITTED = "The referral was not submitted: correct the answers marked below."
TOO_MANY_LEVELS = f"A referral has at most {MAX_LEVELS} target levels."
LEVELS_UNREADABLE = (
    "The target levels could not be read from the form; they were left as stored. "
    "The other answers were saved."
)


def physician_required(view):
    """Refuse (403) users without the physician role; superusers pass."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_role(request.user, Role.PHYSICIAN)
        return view(request, *args, **kwargs)

    return wrapper


def clinician_required(view):
    """Refuse (403) anyone but members of the physicians' group: intake is a clinical write."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_clinician(request.user, Role.PHYSICIAN)
        return view(request, *args, **kwargs)

    return wrapper


def today():
    """The clinic's date today: the reference date of validation and evaluation."""
    return timezone.localdate()


# --- Lists ------------------------------------------------------------------------------------


def _search(request) -> SearchForm:
    # Only the status and the page may come from the URL; search terms come in the body.
    if request.method == "POST":
        form = SearchForm(request.POST)
    else:
        form = SearchForm(
            {key: request.GET[key] for key in ("status", "page") if key in request.GET}
        )
    form.is_valid()
    return form


def _page(request, items, search: SearchForm):
    return Paginator(items, PAGE_SIZE).get_page(search.cleaned_data.get("page") or 1)


@physician_required
@require_http_methods(["GET", "POST"])
def referral_list(request):
    """My referrals: status, recommendation and last change, searchable by name or MRN."""
    search = _search(request)
    referrals = selectors.referral_list(
        user=request.user,
        search=search.cleaned_data.get("q") or "",
        status=search.cleaned_data.get("status") or "",
    )
    page = _page(request, referrals, search)
    context = {"search": search, "page": page, "rows": _referral_rows(page.object_list)}
    if request.htmx:
        return render(request, "patients/_referral_results.html", context)
    return render(request, "patients/referral_list.html", context)


def _referral_rows(referrals) -> list[dict]:
    """What each row of "My referrals" shows, worked out once here rather than in the
    template (links, labels, local times): the table's rendering was most of the page.
    `referrals`: (a page of) `selectors.referral_list`, read as values."""
    detail_url = url_of("patients:referral-detail")
    edit_url = url_of("patients:referral-edit")
    rows = []
    for referral in selectors.referral_list_values(referrals):
        pk = referral["id"]
        status = referral["status"]
        recommendation = referral["recommendation"]
        updated = timezone.localtime(referral["updated_at"])
        rows.append(
            {
                "pk": pk,
                "url": detail_url(pk),
                "family_name": referral["family_name"],
                "given_name": referral["given_name"],
                "mrn": referral["mrn"],
                "levels": ", ".join(referral["level_labels"]) or "—",
                "status": REFERRAL_STATUS_LABELS.get(status, status),
                "edit_url": edit_url(pk) if status in PHYSICIAN_EDITABLE_STATUSES else "",
                "recommendation": recommendation,
                "recommendation_label": recommendation_label(recommendation),
                "flagged": referral["flagged"],
                # As the date filter writes them: "c" (ISO 8601) and "Y-m-d H:i".
                "updated_iso": updated.isoformat(),
                "updated": (
                    f"{updated.year:04d}-{updated.month:02d}-{updated.day:02d} "
                    f"{updated.hour:02d}:{updated.minute:02d}"
                ),
            }
        )
    return rows


def _patient_rows(patients) -> list[dict]:
    """What each row of "My patients" shows, worked out once here (as _referral_rows)."""
    detail_url = url_of("patients:patient-detail")
    referral_url = url_of("patients:referral-create")
    return [
        {
            "url": detail_url(patient.pk),
            "family_name": patient.family_name,
            "given_name": patient.given_name,
            "mrn": patient.mrn,
            # As the date filter writes it: "Y-m-d".
            "date_of_birth": (
                f"{patient.date_of_birth.year:04d}-{patient.date_of_birth.month:02d}-"
                f"{patient.date_of_birth.day:02d}"
            ),
            "referral_count": patient.referral_count,
            "new_referral_url": referral_url(patient.pk),
        }
        for patient in patients
    ]


@physician_required
@require_http_methods(["GET", "POST"])
def patient_list(request):
    """My patients, searchable by name or MRN."""
    search = _search(request)
    patients = selectors.patient_list(user=request.user, search=search.cleaned_data.get("q") or "")
    page = _page(request, patients, search)
    context = {"search": search, "page": page, "rows": _patient_rows(page.object_list)}
    if request.htmx:
        return render(request, "patients/_patient_results.html", context)
    return render(request, "patients/patient_list.html", context)


# --- Patients ---------------------------------------------------------------------------------


@clinician_required
@require_http_methods(["GET", "POST"])
def patient_create(request):
    """Register a patient, then go on to their first referral."""
    clinic = services.default_clinic()
    form = PatientForm(request.POST or None, clinic=clinic, today=today())
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(by=request.user, clinic=clinic, **form.cleaned_data)
        except (ValidationError, services.PatientConflictError):
            form.add_error("mrn", MRN_TAKEN)
        else:
            audit_note(request, patient, action=AuditEvent.Action.CREATE)
            messages.success(request, "Patient registered.")
            return redirect("patients:referral-create", patient.pk)
    status = 400 if form.is_bound else 200
    return render(request, "patients/patient_form.html", {"form": form}, status=status)


@physician_required
@require_http_methods(["GET", "POST"])
def patient_update(request, pk: int):
    """Correct a patient's identification."""
    patient = selectors.patient_for_physician(user=request.user, pk=pk)
    audit_note(request, patient)
    form = PatientForm(request.POST or None, instance=patient, clinic=patient.clinic, today=today())
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, by=request.user, **form.cleaned_data)
        except (ValidationError, services.PatientConflictError):
            form.add_error("mrn", MRN_TAKEN)
        else:
            messages.success(request, "Patient updated.")
            return redirect(patient)
    status = 400 if form.is_bound else 200
    context = {"form": form, "patient": patient}
    return render(request, "patients/patient_form.html", context, status=status)


@physician_required
@require_GET
def patient_detail(request, pk: int):
    """A patient with their referrals and every evaluation of each."""
    patient = selectors.patient_for_physician(user=request.user, pk=pk)
    audit_note(request, patient)
    referrals = selectors.patient_referrals(patient=patient, user=request.user)
    return render(
        request, "patients/patient_detail.html", {"patient": patient, "referrals": referrals}
    )


# --- Referrals --------------------------------------------------------------------------------


@physician_required
@require_GET
def referral_detail(request, pk: int):
    """A referral: answers, latest findings, every evaluation with its changes, history."""
    referral = selectors.referral_for_physician(user=request.user, pk=pk)
    audit_note(request, referral)
    return render(request, "patients/referral_detail.html", _detail_context(referral))


def _detail_context(referral: Referral) -> dict:
    levels = list(referral.levels.all())
    return {
        "referral": referral,
        "patient": referral.patient,
        "answers": selectors.referral_answer_rows(referral),
        "levels": [(level, selectors.level_answer_rows(level)) for level in levels],
        "latest": referral.latest_evaluation,
        "evaluations": selectors.referral_evaluations(referral=referral),
        "history": selectors.referral_change_history(referral=referral),
    }


@clinician_required
@require_http_methods(["GET", "POST"])
def referral_create(request, patient_pk: int):
    """The intake form for a new referral of the patient."""
    patient = selectors.patient_for_physician(user=request.user, pk=patient_pk)
    audit_note(request, patient)
    return _intake(request, patient=patient, referral=None)


@clinician_required
@require_http_methods(["GET", "POST"])
def referral_edit(request, pk: int):
    """The intake form of a draft, or of a referral the radiologist asked about."""
    referral = selectors.referral_for_physician(user=request.user, pk=pk)
    audit_note(request, referral)
    if not referral.is_editable_by_physician:
        if request.method == "POST":
            return _locked(request, referral)
        messages.info(request, services.REFERRAL_NOT_EDITABLE)
        return redirect(referral)
    return _intake(request, patient=referral.patient, referral=referral)


@clinician_required
@require_POST
def referral_live_new(request, patient_pk: int):
    """The findings panel for the posted, unsaved intake of a new referral."""
    patient = selectors.patient_for_physician(user=request.user, pk=patient_pk)
    audit_note(request, patient, action=AuditEvent.Action.VIEW)  # evaluates, stores nothing
    return _live(request, patient=patient, referral=None)


@clinician_required
@require_POST
def referral_live(request, pk: int):
    """The findings panel for the posted, unsaved intake of a referral."""
    # The panel evaluates the posted answers: the stored evaluation is not read.
    referral = selectors.referral_for_physician(
        user=request.user, pk=pk, with_latest_evaluation=False
    )
    audit_note(request, referral, action=AuditEvent.Action.VIEW)  # evaluates, stores nothing
    return _live(request, patient=referral.patient, referral=referral)


@physician_required
@require_GET
def level_form(request):
    """One more empty target-level row, numbered after the rows the page has (htmx)."""
    try:
        index = int(request.GET.get("levels-TOTAL_FORMS", ""))
    except ValueError:
        return HttpResponseBadRequest("levels-TOTAL_FORMS must be a whole number.")
    if not 0 <= index < MAX_LEVELS:
        return HttpResponseBadRequest(TOO_MANY_LEVELS)
    formset = LevelFormSet(
        prefix=IntakeForm.prefix,
        initial=[{}] * (index + 1),
        form_kwargs={"today": today(), "date_of_birth": None},
    )
    form = formset.forms[index]
    # htmx focuses an element with autofocus after the swap: the new row's level select.
    form.fields["level"].widget.attrs["autofocus"] = True
    context = {"form": form, "number": index + 1, "total": index + 1}
    return render(request, "patients/_level_added.html", context)


def _live(request, *, patient: Patient, referral: Referral | None):
    form = IntakeForm(request.POST, patient=patient, referral=referral, today=today())
    form.is_valid()
    return render(request, "patients/_live_panel.html", _panel_context(form, request.user))


def _panel_context(form: IntakeForm, physician) -> dict:
    """The findings panel's context for the form: the engine's result, or why there is none."""
    problems = form.problems() if form.is_bound else []
    context = {
        "problems": problems,
        "warnings": form.warnings() if form.is_bound else [],
        "result": None,
        "panel_message": "",
    }
    referral, levels = form.preview_instances(physician=physician)
    if not levels:
        context["panel_message"] = NO_LEVELS_YET
        return context
    try:
        _, result = selectors.referral_preview(referral=referral, levels=levels, today=form.today)
    except CaseValidationError as exc:
        context["panel_message"] = CASE_NOT_VALID
        context["problems"] = problems + form.case_error_problems(exc.errors)
        return context
    context["result"] = result
    context["field_links"] = form.field_links()
    return context


def _intake(request, *, patient: Patient, referral: Referral | None):
    if request.method != "POST":
        form = IntakeForm(patient=patient, referral=referral, today=today())
        return _render_intake(request, form, referral=referral)
    form = IntakeForm(request.POST, patient=patient, referral=referral, today=today())
    valid = form.is_valid()
    try:
        if request.POST.get("action") == "submit":
            return _submit(request, form, valid=valid)
        return _save_draft(request, form)
    except services.ReferralStateError:
        return _locked(request, referral)


def _submit(request, form: IntakeForm, *, valid: bool):
    if valid:
        rows, forms_of_rows = form.level_rows()
        try:
            evaluation = services.referral_save_and_submit(
                patient=form.patient,
                referral=form.referral,
                by=request.user,
                answers=form.referral_answers(),
                levels=rows,
                today=form.today,
            )
        except CaseValidationError as exc:
            form.add_case_errors(exc.errors, forms_of_rows)
        else:
            label = evaluation.get_recommendation_display()
            messages.success(request, SUBMITTED.format(recommendation=label))
            return redirect(evaluation.referral)
    messages.error(request, NOT_SUBMITTED)
    return _render_intake(request, form, referral=form.referral, status=400)


def _save_draft(request, form: IntakeForm):
    if not form.level_formset.management_form.is_valid():
        # The level rows cannot be read (a tampered or truncated post): keep them as stored.
        outcome = services.referral_save_draft(
            patient=form.patient,
            referral=form.referral,
            by=request.user,
            answers=form.referral_answers(),
            levels=None,
        )
        messages.error(request, LEVELS_UNREADABLE)
        return redirect("patients:referral-edit", outcome.referral.pk)
    rows, forms_of_rows = form.level_rows()
    outcome = services.referral_save_draft(
        patient=form.patient,
        referral=form.referral,
        by=request.user,
        answers=form.referral_answers(),
        levels=rows,
    )
    if not form.problems() and not outcome.not_saved:
        messages.success(request, DRAFT_SAVED)
        return redirect("patients:referral-edit", outcome.referral.pk)
    # Show the posted answers again, now on top of the rows as stored, with their errors.
    shown = IntakeForm(
        rebased_data(form, outcome.level_ids),
        patient=form.patient,
        referral=outcome.referral,
        today=form.today,
    )
    shown.is_valid()
    kept = form.level_forms()
    for index, message in outcome.not_saved:
        shown.level_formset.forms[kept.index(forms_of_rows[index])].add_error("level", message)
    messages.warning(request, DRAFT_SAVED_EXCEPT)
    return _render_intake(request, shown, referral=outcome.referral)


def _render_intake(request, form: IntakeForm, *, referral: Referral | None, status: int = 200):
    patient = form.patient
    if referral is None:
        live_url = reverse("patients:referral-live-new", args=[patient.pk])
        action = reverse("patients:referral-create", args=[patient.pk])
    else:
        live_url = reverse("patients:referral-live", args=[referral.pk])
        action = reverse("patients:referral-edit", args=[referral.pk])
    context = {
        "form": form,
        "patient": patient,
        "referral": referral,
        "live_url": live_url,
        "action": action,
        "problems": form.problems() if form.is_bound else [],
        "panel": _panel_context(form, request.user),
    }
    return render(request, "patients/referral_form.html", context, status=status)


def _locked(request, referral: Referral | None):
    messages.error(request, services.REFERRAL_NOT_EDITABLE)
    if referral is None:
        return redirect("patients:referral-list")
    referral = selectors.referral_for_physician(user=request.user, pk=referral.pk)
    return render(request, "patients/referral_detail.html", _detail_context(referral), status=409)
