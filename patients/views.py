"""Physician pages: patients, "My referrals", the intake form and its live evaluation.

Every view requires the physician role (superusers pass) and reaches objects only through
the selectors, which answer 404 for other physicians' patients and referrals. Searches are
posted, never put in the URL: a patient's name or MRN is PHI.
"""

import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.middleware import SESSION_LAST_ACTIVITY_KEY
from accounts.mixins import require_clinician, require_role
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import audit_note, audit_record, mrn_digest
from eligibility.conf import get_thresholds
from eligibility.engine import CaseValidationError
from eligibility.i18n import localized_result
from vpselect.reversing import url_of

from . import access, selectors, services, vocabulary
from .access import Purpose
from .forms import MRN_TAKEN, PatientForm, SearchForm
from .intake import MAX_LEVELS, IntakeForm, LevelFormSet, rebased_data
from .models import PHYSICIAN_EDITABLE_STATUSES, REFERRAL_STATUS_LABELS, Patient, Referral
from .signals import PhysicianPage, physician_page_context

PAGE_SIZE = 25
NO_LEVELS_YET = _("Add a target level and choose its level to see the recommendation.")
CASE_NOT_VALID = _("The answers cannot be evaluated yet:")
DRAFT_SAVED = _("Draft saved.")
DRAFT_RESTORED = _(
    "Welcome back: the answers you gave before your session ended are back and saved as a draft."
)
DRAFT_SAVED_EXCEPT = _(
    "Draft saved, except the answers marked below: they are not valid and were not saved."
)
SUBMITTED = _("Referral submitted. Recommendation: {recommendation}.")
NOT_SUBMITTED = _("The referral was not submitted: correct the answers marked below.")
TOO_MANY_LEVELS = format_lazy(_("A referral has at most {count} target levels."), count=MAX_LEVELS)
LEVELS_UNREADABLE = _(
    "The target levels could not be read from the form; they were left as stored. "
    "The other answers were saved."
)
AUTOSAVE_LEVELS_UNREADABLE = _("The target levels could not be read; nothing was saved.")
# How long before the idle timeout the intake warns (static/js/intake.js).
IDLE_WARNING_SECONDS = 120


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


def _audit_list(request, search: SearchForm, patient_ids: list[int]) -> None:
    """Name in the trail the patients a list page showed (ids only: never the search terms)."""
    audit_note(
        request,
        patient_ids=sorted(set(patient_ids)),
        searched=bool(search.cleaned_data.get("q")),
    )


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
    rows = _referral_rows(page.object_list)
    _audit_list(request, search, [row["patient_id"] for row in rows])
    context = {"search": search, "page": page, "rows": rows}
    if request.htmx:
        return render(request, "patients/_referral_results.html", context)
    context |= _from_apps_above(PhysicianPage.LIST, user=request.user)
    return render(request, "patients/referral_list.html", context)


def _referral_rows(referrals) -> list[dict]:
    """What each row of "My referrals" shows that the template cannot work out itself (links,
    the status in words, whether the physician may still edit). `referrals`: (a page of)
    `selectors.referral_list`, read as values."""
    detail_url = url_of("patients:referral-detail")
    edit_url = url_of("patients:referral-edit")
    rows = []
    for referral in selectors.referral_list_values(referrals):
        pk = referral["id"]
        status = referral["status"]
        rows.append(
            {
                "pk": pk,
                "patient_id": referral["patient_id"],
                "url": detail_url(pk),
                "family_name": referral["family_name"],
                "given_name": referral["given_name"],
                "mrn": referral["mrn"],
                "levels": referral["level_labels"],
                "status": REFERRAL_STATUS_LABELS.get(status, status),
                "edit_url": edit_url(pk) if status in PHYSICIAN_EDITABLE_STATUSES else "",
                "recommendation": referral["recommendation"],
                "flagged": referral["flagged"],
                "updated_at": referral["updated_at"],
                # The <time> attribute, as `date:'c'` writes it: the filter cost ~35 µs a row.
                "updated_iso": timezone.localtime(referral["updated_at"]).isoformat(),
            }
        )
    return rows


@physician_required
@require_http_methods(["GET", "POST"])
def patient_list(request):
    """My patients, searchable by name or MRN."""
    search = _search(request)
    patients = selectors.patient_list(user=request.user, search=search.cleaned_data.get("q") or "")
    page = _page(request, patients, search)
    _audit_list(request, search, [patient.pk for patient in page.object_list])
    context = {"search": search, "page": page}
    if request.htmx:
        return render(request, "patients/_patient_results.html", context)
    return render(request, "patients/patient_list.html", context)


# --- Patients ---------------------------------------------------------------------------------


@clinician_required
@require_http_methods(["GET", "POST"])
def patient_create(request):
    """Register a patient, then go on to their first referral."""
    if refused := _mrn_tries_exhausted(request):
        return refused
    clinic = services.default_clinic()
    form = PatientForm(request.POST or None, clinic=clinic, today=today(), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(by=request.user, clinic=clinic, **form.cleaned_data)
        except (ValidationError, services.PatientConflictError):
            form.add_error("mrn", MRN_TAKEN)
        else:
            audit_note(request, patient, action=AuditEvent.Action.CREATE)
            messages.success(request, _("Patient registered."))
            return redirect("patients:referral-create", patient.pk)
    _audit_refused_mrn(request, form)
    status = 400 if form.is_bound else 200
    return render(request, "patients/patient_form.html", {"form": form}, status=status)


def _mrn_tries_exhausted(request):
    """429 once the user has tried too many MRNs of other physicians' patients lately."""
    if request.method != "POST":
        return None
    tries = selectors.mrn_refusals_recent(user=request.user, now=timezone.now())
    if tries < selectors.MRN_REFUSAL_LIMIT:
        return None
    return render(request, "patients/mrn_tries_exhausted.html", status=429)


def _audit_refused_mrn(request, form: PatientForm) -> None:
    if form.refused_mrn is not None:
        audit_record(
            action=AuditEvent.Action.MRN_REFUSED,
            outcome=AuditEvent.Outcome.DENIED,
            user=request.user,
            request=request,
            status_code=400,
            details={"mrn_hash": mrn_digest(form.refused_mrn)},
        )


@physician_required
@require_http_methods(["GET", "POST"])
def patient_update(request, pk: int):
    """Correct a patient's identification (the registering physician or an administrator)."""
    patient = access.patient_for(request.user, pk, purpose=Purpose.RECORD)
    audit_note(request, patient)
    if not access.may_edit_identification(user=request.user, patient=patient):
        raise PermissionDenied(services.IDENTIFICATION_NOT_YOURS)
    if refused := _mrn_tries_exhausted(request):
        return refused
    form = PatientForm(
        request.POST or None,
        instance=patient,
        clinic=patient.clinic,
        today=today(),
        user=patient.created_by,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, by=request.user, **form.cleaned_data)
        except (ValidationError, services.PatientConflictError):
            form.add_error("mrn", MRN_TAKEN)
        else:
            messages.success(request, _("Patient updated."))
            return redirect(patient)
    _audit_refused_mrn(request, form)
    status = 400 if form.is_bound else 200
    context = {"form": form, "patient": patient}
    return render(request, "patients/patient_form.html", context, status=status)


@physician_required
@require_GET
def patient_detail(request, pk: int):
    """A patient with their referrals and every evaluation of each."""
    patient = access.patient_for(request.user, pk, purpose=Purpose.RECORD)
    audit_note(request, patient)
    referrals = selectors.patient_referrals(patient=patient, user=request.user)
    # Allergies and flags as answered on the newest referral the physician sees.
    banner = selectors.patient_banner(
        patient=patient, referral=referrals[0] if referrals else None, today=today()
    )
    context = {"patient": patient, "referrals": referrals, "banner": banner}
    return render(request, "patients/patient_detail.html", context)


# --- Referrals --------------------------------------------------------------------------------


@physician_required
@require_GET
def referral_detail(request, pk: int):
    """A referral: answers, latest findings, every evaluation with its changes, history."""
    referral = selectors.referral_for_physician(user=request.user, pk=pk)
    audit_note(request, referral)
    return render(request, "patients/referral_detail.html", _detail_context(request, referral))


def _detail_context(request, referral: Referral) -> dict:
    levels = list(referral.levels.all())
    return _from_apps_above(PhysicianPage.REFERRAL, user=request.user, referral=referral) | {
        "referral": referral,
        "patient": referral.patient,
        "answers": vocabulary.answers(referral, ("assessed_on", *vocabulary.REFERRAL_FIELDS)),
        "levels": [(level, vocabulary.level_answers(level)) for level in levels],
        "latest": referral.latest_evaluation,
        "evaluations": selectors.referral_evaluations(referral=referral),
        "history": selectors.referral_change_history(referral=referral),
        "banner": selectors.patient_banner(
            patient=referral.patient, referral=referral, today=today()
        ),
    }


@clinician_required
@require_http_methods(["GET", "POST"])
def referral_create(request, patient_pk: int):
    """The intake form for a new referral of the patient."""
    patient = access.patient_for(request.user, patient_pk, purpose=Purpose.RECORD)
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
    patient = access.patient_for(request.user, patient_pk, purpose=Purpose.RECORD)
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


@clinician_required
@require_POST
def referral_autosave_new(request, patient_pk: int):
    """Autosave a new referral's intake as a draft (created by the first autosave)."""
    patient = access.patient_for(request.user, patient_pk, purpose=Purpose.RECORD)
    audit_note(request, patient, action=AuditEvent.Action.CREATE)
    return _autosave(request, patient=patient, referral=None)


@clinician_required
@require_POST
def referral_autosave(request, pk: int):
    """Autosave a referral's intake as a draft: every valid answer, as "Save draft" does."""
    referral = selectors.referral_for_physician(
        user=request.user, pk=pk, with_latest_evaluation=False
    )
    audit_note(request, referral)
    return _autosave(request, patient=referral.patient, referral=referral)


@physician_required
@require_POST
def session_keepalive(request):
    """ "Stay signed in": the physician is here; the idle timeout starts again."""
    _stamp_activity(request)
    return HttpResponse(status=204)


def _stamp_activity(request) -> None:
    # The session middleware stamps at most once a minute; the page's idle countdown starts
    # from this request, so it is stamped exactly.
    request.session[SESSION_LAST_ACTIVITY_KEY] = int(time.time())


def _autosave(request, *, patient: Patient, referral: Referral | None):
    form = IntakeForm(request.POST, patient=patient, referral=referral, today=today())
    form.is_valid()
    if not form.level_formset.management_form.is_valid():
        unreadable = {"saved": False, "message": str(AUTOSAVE_LEVELS_UNREADABLE)}
        return JsonResponse(unreadable, status=400)
    rows, forms_of_rows = form.level_rows()
    try:
        outcome = services.referral_save_draft(
            patient=patient,
            referral=referral,
            by=request.user,
            answers=form.referral_answers(),
            levels=rows,
        )
    except services.ReferralStateError:
        return JsonResponse({"saved": False, "message": services.REFERRAL_NOT_EDITABLE}, status=409)
    _stamp_activity(request)
    pk = outcome.referral.pk
    return JsonResponse(
        {
            "saved": True,
            "edit_url": reverse("patients:referral-edit", args=[pk]),
            "live_url": reverse("patients:referral-live", args=[pk]),
            "autosave_url": reverse("patients:referral-autosave", args=[pk]),
            # Per level row of the page (by its prefix), the id it is stored under.
            "level_ids": {
                level_form.prefix: level_id
                for level_form, level_id in zip(forms_of_rows, outcome.level_ids, strict=True)
                if level_id is not None
            },
            "not_saved": len(form.problems()) + len(outcome.not_saved),
        }
    )


def _live(request, *, patient: Patient, referral: Referral | None):
    form = IntakeForm(request.POST, patient=patient, referral=referral, today=today())
    form.is_valid()
    context = _panel_context(form, request.user)
    # Errors, readings and advice next to each question, replaced out of band.
    context["feedback_fields"] = form.feedback_fields()
    context["live"] = True
    return render(request, "patients/_live_panel.html", context)


def _panel_context(form: IntakeForm, physician) -> dict:
    """The findings panel's context for the form: the engine's result, or why there is none."""
    problems = form.problems() if form.is_bound else []
    context: dict[str, object] = {
        "problems": problems,
        "warnings": form.warnings() if form.is_bound else [],
        "result": None,
        "panel_message": "",
    }
    referral, levels = form.preview_instances(physician=physician)
    context["assessed_on"] = referral.assessed_on or form.today
    if not levels:
        context["panel_message"] = NO_LEVELS_YET
        return context
    try:
        case, result = selectors.referral_preview(
            referral=referral, levels=levels, today=form.today
        )
    except CaseValidationError as exc:
        context["panel_message"] = CASE_NOT_VALID
        context["problems"] = problems + form.case_error_problems(exc.errors)
        return context
    # Rule wording and reasons in the physician's language (the engine's result is English).
    context["result"] = localized_result(
        result, case=case, thresholds=get_thresholds(), today=form.today
    )
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
        answers = form.referral_answers()
        # The case is assessed on the date answered; left empty, on the day of submission.
        answers["assessed_on"] = answers.get("assessed_on") or form.today
        try:
            evaluation = services.referral_save_and_submit(
                patient=form.patient,
                referral=form.referral,
                by=request.user,
                answers=answers,
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
        messages.success(request, DRAFT_RESTORED if request.POST.get("restored") else DRAFT_SAVED)
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
        autosave_url = reverse("patients:referral-autosave-new", args=[patient.pk])
    else:
        live_url = reverse("patients:referral-live", args=[referral.pk])
        action = reverse("patients:referral-edit", args=[referral.pk])
        autosave_url = reverse("patients:referral-autosave", args=[referral.pk])
    _stamp_activity(request)
    context = {
        "form": form,
        "patient": patient,
        "referral": referral,
        "live_url": live_url,
        "action": action,
        "autosave_url": autosave_url,
        "idle_seconds": settings.SESSION_IDLE_TIMEOUT,
        "idle_warning_seconds": IDLE_WARNING_SECONDS,
        "problems": form.problems() if form.is_bound else [],
        "panel": _panel_context(form, request.user),
        "banner": selectors.patient_banner(patient=patient, referral=referral, today=today()),
    }
    if referral is not None and referral.pk is not None:
        context |= _from_apps_above(PhysicianPage.INTAKE, user=request.user, referral=referral)
    return render(request, "patients/referral_form.html", context, status=status)


def _locked(request, referral: Referral | None):
    messages.error(request, services.REFERRAL_NOT_EDITABLE)
    if referral is None:
        return redirect("patients:referral-list")
    referral = selectors.referral_for_physician(user=request.user, pk=referral.pk)
    context = _detail_context(request, referral)
    return render(request, "patients/referral_detail.html", context, status=409)


def _from_apps_above(page: str, *, user, referral: Referral | None = None) -> dict:
    """What the apps above patients show on this page of the physician's (their decisions and
    questions), gathered by signal: patients does not import them."""
    context: dict = {}
    responses = physician_page_context.send(
        sender=Referral, page=page, user=user, referral=referral
    )
    for _receiver, extra in responses:
        if isinstance(extra, dict):
            context |= extra
    return context
