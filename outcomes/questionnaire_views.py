"""The patient's pages: the questionnaire opened from a personal link, without an account.

The link's token is moved from the URL into the session at once (as Django's password reset
does), so it is not in the address bar, the Referer or the audit trail. Every open and answer
is an audit event; an address that opens too many pages in 10 minutes is refused (429).
Pages are in the patient's preferred language (their browser's for a link not found).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import AuditEvent
from audit.services import audit_note, client_ip

from . import invitations
from .forms import PatientQuestionnaireForm
from .invitations import LinkCheck, LinkNotOpen, LinkState
from .questionnaires import DEFAULT_QUESTIONNAIRE

SESSION_TOKEN = "outcomes_questionnaire_token"  # noqa: S105 - a session key, not a secret
SESSION_DONE = "outcomes_questionnaire_done"
AUDIT_USERNAME = "(questionnaire link)"
RATE_WINDOW = timedelta(minutes=10)
CLOSED_STATUS = {
    LinkState.USED: 200,
    LinkState.OPTED_OUT: 200,
    LinkState.EXPIRED: 410,
    LinkState.UNKNOWN: 404,
}


def _language(request, check: LinkCheck | None = None) -> str:
    if check is not None and check.language:
        return check.language
    return translation.get_language_from_request(request)


def _audit(request, check: LinkCheck, *, event: str, action: str, status: int) -> None:
    """One audit event for a patient page, without the token (the path is the page's).

    A signed-in user (staff trying a link) gets the audit middleware's one event per request,
    told what was shown; the patient, who has no account, gets this view's own event.
    """
    link, patient = check.link, check.patient  # both None for an unknown token
    details = {"event": event, "link": check.state.value, "link_id": link.pk if link else None}
    if request.user.is_authenticated:
        audit_note(request, patient, action=action, **details)
        return
    outcome = AuditEvent.Outcome.SUCCESS if status < 400 else AuditEvent.Outcome.DENIED
    AuditEvent.objects.create(
        username=AUDIT_USERNAME,
        action=action,
        outcome=outcome,
        object_type="patients.patient" if link else "",
        object_id=str(patient.pk) if patient else "",
        patient_id=patient.pk if patient else None,
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
        method=request.method or "",
        path=reverse("outcomes:questionnaire"),
        status_code=status,
        details=details,
    )


def _rate_limited(request) -> bool:
    recent = AuditEvent.objects.filter(
        username=AUDIT_USERNAME,
        ip=client_ip(request),
        occurred_at__gte=timezone.now() - RATE_WINDOW,
    )
    return recent.count() >= settings.VPSELECT_QUESTIONNAIRE_RATE_LIMIT


def _render(request, template: str, context: dict, *, language: str, status: int = 200):
    context = {
        **context,
        "clinic_name": invitations.clinic_name(),
        "clinic_phone": invitations.clinic_phone(),
    }
    with translation.override(language):
        return render(request, template, context, status=status)


def _too_many(request):
    check = LinkCheck(LinkState.UNKNOWN)
    _audit(request, check, event="rate_limited", action=AuditEvent.Action.DENIED, status=429)
    return _render(
        request, "outcomes/patient/too_many.html", {}, language=_language(request), status=429
    )


def _closed(request, check: LinkCheck, *, event: str):
    status = CLOSED_STATUS[check.state]
    _audit(request, check, event=event, action=AuditEvent.Action.VIEW, status=status)
    context = {"state": check.state.value, "can_opt_out": check.state != LinkState.UNKNOWN}
    return _render(
        request,
        "outcomes/patient/link_closed.html",
        context,
        language=_language(request, check),
        status=status,
    )


@login_not_required
@never_cache
@require_GET
def questionnaire_start(request, token: str):
    """Open a personal link: keep its token in the session and show the questionnaire."""
    # The audit middleware records signed-in visits by path: keep the token out of it.
    request.path = reverse("outcomes:questionnaire")
    if _rate_limited(request):
        return _too_many(request)
    check = invitations.link_open(token=token, now=timezone.now())
    if check.state == LinkState.UNKNOWN:
        return _closed(request, check, event="open")
    _audit(request, check, event="open", action=AuditEvent.Action.VIEW, status=302)
    request.session[SESSION_TOKEN] = token
    return redirect("outcomes:questionnaire")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def questionnaire(request):
    """The questionnaire of the link in the session; answers stored once, then the link dies."""
    if _rate_limited(request):
        return _too_many(request)
    token = request.session.get(SESSION_TOKEN, "")
    now = timezone.now()
    check = invitations.link_check(token=token, now=now)
    if check.state != LinkState.OPEN:
        return _closed(request, check, event="page")
    language = _language(request, check)
    form = PatientQuestionnaireForm(request.POST or None, questionnaire=DEFAULT_QUESTIONNAIRE)
    if request.method == "POST" and form.is_valid():
        try:
            report = invitations.questionnaire_answer(token=token, answers=form.answers(), now=now)
        except LinkNotOpen as closed:
            return _closed(request, closed.check, event="answer")
        _audit(request, check, event="answer", action=AuditEvent.Action.CREATE, status=302)
        # The token stays: going back to the form then says "already answered", kindly.
        request.session[SESSION_DONE] = {"needs_call": report.needs_call, "language": language}
        return redirect("outcomes:questionnaire-thanks")
    status = 400 if request.method == "POST" else 200
    event = "invalid_answers" if request.method == "POST" else "view"
    action = AuditEvent.Action.CHANGE if request.method == "POST" else AuditEvent.Action.VIEW
    _audit(request, check, event=event, action=action, status=status)
    context = {
        "form": form,
        "first_name": check.patient.given_name,
        "questionnaire": DEFAULT_QUESTIONNAIRE,
        "needs_call_now": request.method == "POST"
        and DEFAULT_QUESTIONNAIRE.needs_call(request.POST.dict()),
    }
    return _render(
        request, "outcomes/patient/questionnaire.html", context, language=language, status=status
    )


@login_not_required
@never_cache
@require_GET
def questionnaire_thanks(request):
    """Thanks; the clinic's phone number first when an answer needs a call."""
    done = request.session.get(SESSION_DONE)
    if not done:
        return redirect("outcomes:questionnaire")
    return _render(
        request,
        "outcomes/patient/thanks.html",
        {"needs_call": done["needs_call"]},
        language=done["language"],
    )


@login_not_required
@never_cache
@require_POST
def questionnaire_opt_out(request):
    """Stop all messages to the patient of the link in the session."""
    if _rate_limited(request):
        return _too_many(request)
    token = request.session.get(SESSION_TOKEN, "")
    check = invitations.contact_opt_out_by_link(token=token, now=timezone.now())
    if check.link is None:
        return _closed(request, check, event="opt_out")
    _audit(request, check, event="opt_out", action=AuditEvent.Action.CHANGE, status=200)
    request.session.pop(SESSION_TOKEN, None)
    return _render(
        request, "outcomes/patient/opted_out.html", {}, language=_language(request, check)
    )
