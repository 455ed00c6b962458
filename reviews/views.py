"""Views of the review app: worklist, review page, decisions, notifications."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mixins import require_clinician, require_role
from accounts.roles import Role, is_clinician
from audit.models import AuditEvent
from audit.services import audit_note
from eligibility.selectors import open_impact
from patients import vocabulary
from patients.models import REFERRAL_STATUS_LABELS, Referral
from patients.selectors import patient_banner, referral_for_physician
from vpselect.reversing import url_of

from . import selectors
from .assessment import level_recommendations, met_relative_contraindications
from .forms import (
    CountersignForm,
    CountersignRefusalForm,
    DecisionForm,
    InformationReplyForm,
    WorklistFilterForm,
)
from .models import InformationAttachment, Notification, ReasonCode, ReviewDecision
from .notifications import notification_text, notification_url
from .services import (
    CANNOT_COUNTERSIGN_OWN,
    ReviewError,
    StaleReferral,
    correctable,
    decision_countersign,
    decision_countersign_refuse,
    decision_record,
    information_reply_create,
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


def _age(born: date | None, today: date) -> int | None:
    """Age in whole years on `today`."""
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def worklist_rows(referrals) -> list[dict]:
    """What each worklist row shows that the template cannot work out itself: the link, the
    levels and relative contraindications read from the result, people's names, the status
    in words. `referrals`: (a page of) selectors.worklist_values."""
    review_url = url_of("reviews:review")
    today = timezone.localdate()
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
                "age": _age(referral["date_of_birth"], today),
                "submitted_at": referral["submitted_at"],
                # The <time> attribute, as `date:'c'` writes it: the filter cost ~35 µs a row.
                "submitted_iso": _iso(referral["submitted_at"]),
                "pending_countersignature": referral["pending_countersignature"],
                "countersignature_refused": referral["countersignature_refused"],
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


# The worklist's filters and sort live in the session, never in the URL: Back and reload
# show the list as it was filtered.
WORKLIST_SESSION_KEY = "reviews:worklist-filters"
WORKLIST_COLUMNS = [
    ("patient", _("Patient"), "patient"),
    ("age", _("Age"), "age"),
    ("levels", _("Levels"), None),
    ("recommendation", _("Recommendation"), "recommendation"),
    ("relative", _("Relative contraindications"), None),
    ("physician", _("Referring physician"), "physician"),
    ("waiting", _("Waiting"), "waiting"),
    ("status", _("Status"), None),
]


def worklist_headers(sort: str) -> list[dict]:
    """The worklist's column headers: for a sortable one, its `aria-sort` and the sort key its
    button asks for next (ascending first, then descending)."""
    sort = sort or selectors.WORKLIST_DEFAULT_SORT
    headers = []
    for name, label, key in WORKLIST_COLUMNS:
        header = {"name": name, "label": label, "key": key, "aria_sort": "", "next": key}
        if key is not None and sort == key:
            header.update(aria_sort="ascending", next=f"-{key}")
        elif key is not None and sort == f"-{key}":
            header.update(aria_sort="descending", next=key)
        headers.append(header)
    return headers


def _worklist_form(request) -> WorklistFilterForm:
    """The filter form: bound to what was posted (the sort kept from the session when no
    header button set it), else to the session's filters, else unbound."""
    saved = request.session.get(WORKLIST_SESSION_KEY) or {}
    if request.method == "POST":
        data = request.POST.copy()
        if not data.get("sort") and saved.get("sort"):
            data["sort"] = saved["sort"]
        return WorklistFilterForm(data)
    return WorklistFilterForm(saved) if saved else WorklistFilterForm()


@require_http_methods(["GET", "POST"])
def worklist(request):
    """The radiologists' worklist; filters and search are posted and kept in the session (no
    PHI in the URL)."""
    require_role(request.user, Role.RADIOLOGIST)
    form = _worklist_form(request)
    valid = form.is_bound and form.is_valid()
    if request.method == "POST" and valid:
        if request.session.get(WORKLIST_SESSION_KEY) != (kept := form.session_data()):
            request.session[WORKLIST_SESSION_KEY] = kept  # written only when it changed
        if not request.htmx:  # post/redirect/get: reload does not post again
            return redirect("reviews:worklist")
    elif form.is_bound and not valid and request.method == "GET":
        # Saved filters that no longer validate (a choice removed): start again unfiltered.
        del request.session[WORKLIST_SESSION_KEY]
        form, valid = WorklistFilterForm(), False
    filters = form.filters() if valid else None
    filtered = valid and any(k not in ("sort", "page") for k in form.session_data())
    paginator = Paginator(
        selectors.worklist_referrals(user=request.user, filters=filters), PAGE_SIZE
    )
    counts = None if request.htmx else selectors.worklist_counts()
    if counts is not None and not filtered:
        paginator.count = counts.total  # the same referrals: no second COUNT of them
    page = paginator.get_page(form.cleaned_data.get("page") if valid else 1)
    values = selectors.worklist_values(page.object_list)
    # The trail names the patients the page showed (ids only, never the search terms).
    audit_note(
        request,
        patient_ids=sorted({row["patient_id"] for row in values}),
        searched=bool(valid and form.cleaned_data.get("search")),
    )
    sort = form.cleaned_data.get("sort", "") if valid else ""
    context = {
        "form": form,
        "filtered": filtered,
        "page": page,
        "rows": worklist_rows(values),
        "headers": worklist_headers(sort),
        "sorted": bool(sort) and sort != selectors.WORKLIST_DEFAULT_SORT,
        "now": timezone.now(),
    }
    status = 400 if form.is_bound and not valid else 200
    if request.htmx:
        return render(request, "reviews/_worklist_results.html", context, status=status)
    context["overrides"] = selectors.override_table()
    context["counts"] = counts
    return render(request, "reviews/worklist.html", context, status=status)


@require_POST
def worklist_clear(request):
    """Forget the worklist's filters and sort: back to the whole queue, flagged first."""
    require_role(request.user, Role.RADIOLOGIST)
    request.session.pop(WORKLIST_SESSION_KEY, None)
    return redirect("reviews:worklist")


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
        "answers": vocabulary.referral_answers(referral),
        "level_headers": [vocabulary.label(name) for name in vocabulary.LEVEL_FIELDS],
        "levels": [(level, vocabulary.level_answers(level)) for level in referral.levels.all()],
        "evaluation": evaluation,
        "evaluations": evaluations,
        "evaluation_changes": selectors.evaluation_changes(evaluations),
        "decisions": decisions,
        "current_decision": current,
        "history": selectors.referral_history(referral),
        "form": form,
        "correction_form": correction_form,
        "may_claim": clinician and unclaimed,
        "unclaimed": unclaimed,
        "is_clinician": clinician,
        "ruleset_impact": open_impact(referral.pk),
        "information_thread": selectors.information_thread(referral),
        "banner": patient_banner(
            patient=referral.patient, referral=referral, today=timezone.localdate()
        ),
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
        problems = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        form.add_problems(problems, data["outcome"])
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


def _countersign_decision(request, decision_id: int) -> ReviewDecision:
    """The decision of a countersignature page, for a radiologist who did not make it."""
    require_role(request.user, Role.RADIOLOGIST)
    decision = get_object_or_404(selectors.countersign_decisions(), pk=decision_id)
    audit_note(request, decision)
    if decision.decided_by_id == request.user.pk:
        raise PermissionDenied(CANNOT_COUNTERSIGN_OWN)
    return decision


def _countersign_page(request, decision, *, form=None, refusal_form=None, status=200):
    context = {
        "decision": decision,
        "referral": decision.referral,
        "patient": decision.referral.patient,
        "overridden": selectors.overridden_rules(decision),
        "is_clinician": is_clinician(request.user, Role.RADIOLOGIST),
        "form": form or CountersignForm(),
        "refusal_form": refusal_form or CountersignRefusalForm(),
    }
    return render(request, "reviews/countersign.html", context, status=status)


@require_http_methods(["GET", "POST"])
def countersign(request, decision_id: int):
    """A second radiologist reads an override of an absolute contraindication and
    countersigns it (POST), so that it takes effect."""
    decision = _countersign_decision(request, decision_id)
    if request.method == "GET":
        return _countersign_page(request, decision)
    require_clinician(request.user, Role.RADIOLOGIST)
    form = CountersignForm(request.POST)
    if not form.is_valid():
        return _countersign_page(request, decision, form=form, status=400)
    try:
        decision_countersign(
            decision=decision, by=request.user, comment=form.cleaned_data["comment"]
        )
    except ReviewError as exc:
        form.add_error(None, exc.message)
        return _countersign_page(request, decision, form=form, status=400)
    messages.success(request, _("Countersigned: the decision now takes effect."))
    return redirect("reviews:review", referral_id=decision.referral_id)


@require_POST
def countersign_refuse(request, decision_id: int):
    """A second radiologist refuses to countersign, with a reason: the decision goes back to
    the deciding radiologist."""
    decision = _countersign_decision(request, decision_id)
    require_clinician(request.user, Role.RADIOLOGIST)
    form = CountersignRefusalForm(request.POST)
    if not form.is_valid():
        return _countersign_page(request, decision, refusal_form=form, status=400)
    try:
        decision_countersign_refuse(
            decision=decision, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ReviewError as exc:
        form.add_error(None, exc.message)
        return _countersign_page(request, decision, refusal_form=form, status=400)
    messages.success(
        request, _("Countersignature refused: the decision goes back to the deciding radiologist.")
    )
    return redirect("reviews:worklist")


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


ANSWER_SENT = _(
    "Your answer is attached to the referral. Update the answers if needed, then submit the "
    "referral again: the radiologist sees your answer when it returns to the worklist."
)


@require_POST
def information_reply(request, referral_id: int):
    """The referring physician answers an information request in words and files."""
    require_clinician(request.user, Role.PHYSICIAN)
    referral = referral_for_physician(user=request.user, pk=referral_id)
    audit_note(request, referral)
    form = InformationReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        thread = selectors.information_thread(referral)
        context = {
            "referral": referral,
            "patient": referral.patient,
            "information_thread": thread,
            "open_request": selectors.open_information_request(thread),
            "reply_form": form,
            "banner": patient_banner(
                patient=referral.patient, referral=referral, today=timezone.localdate()
            ),
        }
        return render(request, "reviews/information_reply.html", context, status=400)
    try:
        reply = information_reply_create(
            referral=referral,
            by=request.user,
            text=form.cleaned_data["text"],
            files=form.cleaned_data["attachments"],
        )
    except ReviewError as exc:
        messages.error(request, exc.message)
        return redirect(referral)
    audit_note(
        request,
        reply,
        action=AuditEvent.Action.CREATE,
        attachment_ids=[attachment.pk for attachment in reply.attachments.all()],
    )
    messages.success(request, ANSWER_SENT)
    return redirect("patients:referral-edit", pk=referral.pk)


@require_GET
def attachment_download(request, attachment_id: int):
    """An attached file, to the referring physician, radiologists and clinic staff only;
    always downloaded (never shown inline), never cached, its type not sniffed."""
    try:
        attachment = selectors.attachment_for(user=request.user, pk=attachment_id)
    except InformationAttachment.DoesNotExist as exc:
        raise Http404 from exc
    audit_note(request, attachment, action=AuditEvent.Action.DOWNLOAD)
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
