"""Views of the review app: worklist, review page, decisions, notifications."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mixins import require_clinician, require_role
from accounts.roles import Role, is_clinician
from audit.services import audit_note
from eligibility.selectors import open_impact
from patients.models import REFERRAL_STATUS_LABELS, Referral
from vpselect.reversing import url_of

from . import selectors
from .assessment import level_recommendations, met_relative_contraindications
from .forms import CountersignForm, DecisionForm, WorklistFilterForm
from .models import Notification, ReasonCode, ReviewDecision
from .notifications import notification_text, notification_url
from .services import (
    ReviewError,
    StaleReferral,
    correctable,
    decision_countersign,
    decision_record,
    referral_claim,
)

PAGE_SIZE = 25
NOTIFICATIONS_PAGE_SIZE = 20
REFERRAL_CHANGED_DECIDE_AGAIN = _(
    "This referral changed since you opened it. Review the current version and decide again."
)


def _iso(moment) -> str:
    """A datetime in ISO 8601 in the current time zone, as the `date:'c'` filter writes it."""
    return timezone.localtime(moment).isoformat() if moment else ""


def _person(username: str | None, first_name: str, last_name: str) -> str | None:
    """A user as the pages name them: full name (`get_full_name`), else username; None for
    no user."""
    if username is None:
        return None
    return f"{first_name} {last_name}".strip() or username


def worklist_rows(referrals) -> list[dict]:
    """What each worklist row shows that the template cannot work out itself: the link, the
    levels and relative contraindications read from the result, people's names, the status
    in words. `referrals`: (a page of) selectors.worklist_values."""
    review_url = url_of("reviews:review")
    rows = []
    for referral in referrals:
        pk = referral["id"]
        result = referral["result"] or {}
        status = referral["status"]
        rows.append(
            {
                "pk": pk,
                "url": review_url(pk),
                "family_name": referral["family_name"],
                "given_name": referral["given_name"],
                "mrn": referral["mrn"],
                "levels": list(level_recommendations(result).items()),
                "flagged": referral["flagged"],
                "recommendation": referral["recommendation"],
                "relative_contraindications": [
                    f"{level} {name}" for level, name in met_relative_contraindications(result)
                ],
                "physician": _person(
                    referral["physician_username"],
                    referral["physician_first_name"],
                    referral["physician_last_name"],
                ),
                "submitted_at": referral["submitted_at"],
                # The <time> attribute, as `date:'c'` writes it: the filter cost ~35 µs a row.
                "submitted_iso": _iso(referral["submitted_at"]),
                "pending_countersignature": referral["pending_countersignature"],
                "status": status,
                "status_display": str(REFERRAL_STATUS_LABELS.get(status, status)),
                "radiologist": _person(
                    referral["radiologist_username"],
                    referral["radiologist_first_name"],
                    referral["radiologist_last_name"],
                ),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def worklist(request):
    """The radiologists' worklist; filters and search are posted (no PHI in the URL)."""
    require_role(request.user, Role.RADIOLOGIST)
    form = WorklistFilterForm(request.POST if request.method == "POST" else None)
    valid = form.is_bound and form.is_valid()
    filters = form.filters() if valid else None
    paginator = Paginator(
        selectors.worklist_referrals(user=request.user, filters=filters), PAGE_SIZE
    )
    page = paginator.get_page(form.cleaned_data.get("page") if valid else 1)
    values = list(selectors.worklist_values(page.object_list))
    # The trail names the patients the page showed (ids only, never the search terms).
    audit_note(
        request,
        patient_ids=sorted({row["patient_id"] for row in values}),
        searched=bool(valid and form.cleaned_data.get("search")),
    )
    context = {
        "form": form,
        "page": page,
        "rows": worklist_rows(values),
        "now": timezone.now(),
    }
    status = 400 if form.is_bound and not valid else 200
    if request.htmx:
        return render(request, "reviews/_worklist_results.html", context, status=status)
    context["overrides"] = selectors.override_table()
    return render(request, "reviews/worklist.html", context, status=status)


def _review_referral(referral_id: int) -> Referral:
    try:
        return selectors.review_referral(referral_id)
    except Referral.DoesNotExist as exc:
        raise Http404 from exc


def _review_page(
    request,
    referral: Referral,
    *,
    form=None,
    correction_form=None,
    countersign_form=None,
    status=200,
):
    """Render the review page; forms carry errors when a POST failed."""
    decisions = selectors.referral_decisions(referral)
    current = selectors.current_decision(decisions)
    evaluations = selectors.referral_evaluations(referral)
    evaluation = referral.latest_evaluation
    may_decide = (
        referral.status in {Referral.Status.SUBMITTED, Referral.Status.UNDER_REVIEW}
        and referral.assigned_radiologist_id == request.user.pk
        and not (current and current.pending_countersignature)
    )
    unclaimed = (
        referral.status in {Referral.Status.SUBMITTED, Referral.Status.UNDER_REVIEW}
        and referral.assigned_radiologist_id is None
    )
    # An administrator may read the page; only a member of the radiologists' group acts on it.
    clinician = is_clinician(request.user, Role.RADIOLOGIST)
    needs_form = form is None and may_decide and evaluation is not None and clinician
    needs_correction_form = (
        correction_form is None
        and correctable(referral, current)
        and evaluation is not None
        and clinician
    )
    # The reason codes are read only for a form the page shows.
    reason_codes = (
        list(ReasonCode.objects.filter(active=True)) if needs_form or needs_correction_form else []
    )
    if needs_form:
        form = DecisionForm(
            evaluation=evaluation,
            reason_codes=reason_codes,
            initial={"expected_version": referral.version},
        )
    if needs_correction_form and current is not None:  # correctable: there is a current one
        correction_form = DecisionForm(
            evaluation=evaluation,
            reason_codes=reason_codes,
            initial={"expected_version": referral.version, "supersedes": current.pk},
            prefix="correction",
        )
    context = {
        "referral": referral,
        "patient": referral.patient,
        "levels": list(referral.levels.all()),
        "evaluation": evaluation,
        "evaluations": evaluations,
        "evaluation_changes": selectors.evaluation_changes(evaluations),
        "decisions": decisions,
        "current_decision": current,
        "history": selectors.referral_history(referral),
        "form": form,
        "correction_form": correction_form,
        "countersign_form": countersign_form or CountersignForm(),
        "may_claim": clinician and unclaimed,
        "unclaimed": unclaimed,
        "is_clinician": clinician,
        "ruleset_impact": open_impact(referral.pk),
    }
    return render(request, "reviews/review.html", context, status=status)


@require_GET
def review(request, referral_id: int):
    """A referral's answers, findings, history and the decision form."""
    require_role(request.user, Role.RADIOLOGIST)
    referral = _review_referral(referral_id)
    audit_note(request, referral)
    return _review_page(request, referral)


@require_POST
def claim(request, referral_id: int):
    """ "Start review": assign the referral to the radiologist."""
    require_clinician(request.user, Role.RADIOLOGIST)
    referral = _review_referral(referral_id)
    audit_note(request, referral)
    try:
        referral_claim(referral=referral, by=request.user)
    except ReviewError as exc:
        messages.error(request, exc.message)
    return redirect("reviews:review", referral_id=referral.pk)


@require_POST
def decide(request, referral_id: int):
    """Record a decision (or, with `correction-` fields, a correction of the current one)."""
    require_clinician(request.user, Role.RADIOLOGIST)
    try:
        referral = selectors.decision_referral(referral_id)
    except Referral.DoesNotExist as exc:
        raise Http404 from exc
    audit_note(request, referral)
    if referral.latest_evaluation is None:
        raise Http404
    prefix = "correction" if "correction-outcome" in request.POST else None
    form = DecisionForm(
        request.POST,
        evaluation=referral.latest_evaluation,
        reason_codes=list(ReasonCode.objects.filter(active=True)),
        prefix=prefix,
    )
    # A stale page is answered first: its errors would be about a referral that moved on.
    if form["expected_version"].value() != str(referral.version):
        messages.error(request, REFERRAL_CHANGED_DECIDE_AGAIN)
        return _review_page(request, referral, status=409)
    if not form.is_valid():
        return _page_with_form(request, referral, form, status=400)
    data = form.cleaned_data
    supersedes = None
    if data.get("supersedes"):
        supersedes = ReviewDecision.objects.filter(referral=referral, pk=data["supersedes"]).first()
        if supersedes is None:
            raise Http404
    try:
        decision = decision_record(
            referral=referral,
            by=request.user,
            expected_version=data["expected_version"],
            outcome=data["outcome"],
            levels_to_treat=data["levels_to_treat"],
            reason_code=data["reason_code"],
            comment=data["comment"],
            override_reason=data["override_reason"],
            supersedes=supersedes,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page_with_form(request, referral, form, status=400)
    except StaleReferral:
        messages.error(request, REFERRAL_CHANGED_DECIDE_AGAIN)
        return _review_page(request, _review_referral(referral_id), status=409)
    except ReviewError as exc:
        messages.error(request, exc.message)
        return _review_page(request, _review_referral(referral_id), status=409)
    if decision.pending_countersignature:
        messages.warning(request, _("Decision recorded: override pending countersignature."))
    else:
        messages.success(
            request,
            _("Decision recorded: %(outcome)s.") % {"outcome": decision.get_outcome_display()},
        )
    return redirect("reviews:review", referral_id=referral.pk)


def _page_with_form(request, referral, form, *, status):
    if form.prefix == "correction":
        return _review_page(request, referral, correction_form=form, status=status)
    return _review_page(request, referral, form=form, status=status)


@require_POST
def countersign(request, decision_id: int):
    """A second radiologist countersigns an override so that it takes effect."""
    require_clinician(request.user, Role.RADIOLOGIST)
    decision = get_object_or_404(ReviewDecision.objects.select_related("referral"), pk=decision_id)
    audit_note(request, decision)
    form = CountersignForm(request.POST)
    if not form.is_valid():
        return _review_page(
            request, _review_referral(decision.referral_id), countersign_form=form, status=400
        )
    try:
        decision_countersign(
            decision=decision, by=request.user, comment=form.cleaned_data["comment"]
        )
    except ReviewError as exc:
        form.add_error(None, exc.message)
        return _review_page(
            request, _review_referral(decision.referral_id), countersign_form=form, status=400
        )
    messages.success(request, _("Countersigned: the decision now takes effect."))
    return redirect("reviews:review", referral_id=decision.referral_id)


@require_GET
def notifications(request):
    """The user's notifications, newest first, unread ones marked."""
    page = Paginator(selectors.user_notifications(request.user), NOTIFICATIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(n, notification_text(n)) for n in page.object_list]
    unread = selectors.unread_notification_count(request.user)
    return render(
        request, "reviews/notifications.html", {"page": page, "rows": rows, "unread": unread}
    )


@require_GET
def unread_count(request):
    """The unread-count badge of the navigation, loaded by htmx after the page."""
    count = selectors.unread_notification_count(request.user)
    return render(request, "reviews/_unread_badge.html", {"unread": count})


@require_POST
def notification_open(request, notification_id: int):
    """Mark one of the user's notifications read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect(notification_url(notification))


@require_POST
def notifications_read_all(request):
    """Mark all of the user's notifications read."""
    Notification.objects.unread().filter(recipient=request.user).update(read_at=timezone.now())
    return (
        HttpResponse(status=204, headers={"HX-Refresh": "true"})
        if request.htmx
        else redirect("reviews:notifications")
    )
