"""HTTP interface of the EHR connection: FHIR export, CDS Hooks, the OpenAPI document.

The JSON endpoints are exempt from the login redirect: /api/* answers 401 JSON to anonymous
callers, the CDS Hooks endpoints authenticate by the client's signed JWT only (no session, no
CSRF) and audit every call themselves, refusals included.
"""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.mixins import require_clinician
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import audit_note, audit_record, mrn_digest
from patients.access import Purpose, referral_for
from patients.models import Referral
from patients.selectors import MRN_REFUSAL_LIMIT, mrn_refusals_recent

from . import cds, services
from .auth import CdsClient, ClientNotAuthenticated, authenticate_cds_client
from .cds_models import FeedbackRequest, ValidationError, error_fields
from .fhir_export import FHIR_JSON, referral_bundle
from .models import CdsLaunch
from .openapi import openapi_document
from .override_reasons import override_reasons

# CDS Hooks requests carry prefetched FHIR data: larger than forms, still bounded.
MAX_HOOK_BYTES = 2 * 1024 * 1024

AUTHENTICATION_REQUIRED = "Authentication required."
NOT_FOUND = "Not found."
METHOD_NOT_ALLOWED = "Method not allowed."
TOO_LARGE = f"The request is larger than {MAX_HOOK_BYTES // (1024 * 1024)} MiB."
MALFORMED_FEEDBACK = "The body is not a JSON object."
# The name CDS Hooks calls carry in the audit trail.
CDS_CLIENT_NAME = "cds-hooks-client"


def _errors(status: int, message: str, field: str = "") -> JsonResponse:
    return JsonResponse({"errors": [{"field": field, "message": message}]}, status=status)


def _outcome(status: int, message: str, field: str = "", code: str = "invalid") -> JsonResponse:
    """A CDS Hooks error: a FHIR OperationOutcome, as the spec recommends."""
    issue: dict = {"severity": "error", "code": code, "details": {"text": message}}
    if field:
        issue["expression"] = [field]
    response = JsonResponse({"resourceType": "OperationOutcome", "issue": [issue]}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="VPSelect CDS Hooks"'
    return response


def _method_not_allowed(allowed: str, *, cds: bool) -> JsonResponse:
    response = (
        _outcome(405, METHOD_NOT_ALLOWED, code="not-supported")
        if cds
        else _errors(405, METHOD_NOT_ALLOWED)
    )
    response["Allow"] = allowed
    return response


def _read_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is larger than MAX_HOOK_BYTES (never read past the limit)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_HOOK_BYTES:
        return None
    body = request.read(MAX_HOOK_BYTES + 1)
    return None if len(body) > MAX_HOOK_BYTES else body


def _public_url(request: HttpRequest, path: str) -> str:
    base = getattr(settings, "VPSELECT_PUBLIC_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def _audit_outcome(status: int) -> str:
    if status in (401, 403, 404):
        return AuditEvent.Outcome.DENIED
    if status >= 500:
        return AuditEvent.Outcome.ERROR
    return AuditEvent.Outcome.FAILED if status >= 400 else AuditEvent.Outcome.SUCCESS


def cds_endpoint(method: str):
    """A CDS Hooks endpoint answering `method`: authenticate the client (401/503), refuse other
    methods (405) and bodies over MAX_HOOK_BYTES (413), as FHIR OperationOutcomes; call the
    view with the client and the body; record every call in the audit trail, refusals
    included."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                client = authenticate_cds_client(
                    request, audience=_public_url(request, request.path)
                )
            except ClientNotAuthenticated as refusal:
                code = "login" if refusal.status == 401 else "exception"
                response = _outcome(refusal.status, refusal.message, code=code)
                details = {"refusal": refusal.message, "client": refusal.client}
            else:
                response = _answer(request, client, view, method, *args, **kwargs)
                details = {"client": client.name, **getattr(request, "audit_details", {})}
            match = request.resolver_match
            audit_record(
                action=getattr(request, "audit_action", None)
                or (
                    AuditEvent.Action.DENIED
                    if response.status_code == 401
                    else AuditEvent.Action.VIEW
                ),
                outcome=_audit_outcome(response.status_code),
                username=CDS_CLIENT_NAME,
                request=request,
                status_code=response.status_code,
                details={"view": match.view_name if match else "", **details},
            )
            # The audit middleware records anonymous 401s too: this call is recorded once, here.
            request.audit_recorded = True  # type: ignore[attr-defined]
            return response

        return login_not_required(csrf_exempt(wrapper))

    return decorator


def _answer(request: HttpRequest, client: CdsClient, view, method: str, *args, **kwargs):
    """The view's response to an authenticated call, after the method and size checks."""
    if request.method != method:
        return _method_not_allowed(method, cds=True)
    body = b""
    if method == "POST":
        read = _read_body(request)
        if read is None:
            return _outcome(413, TOO_LARGE, code="too-costly")
        body = read
    return view(request, client, body, *args, **kwargs)


def _exportable_referral(user, pk: int) -> Referral:
    """The referral with what its FHIR Bundle needs, if the user may export it; else Http404."""
    return referral_for(
        user,
        pk,
        purpose=Purpose.EXPORT,
        related=("patient__clinic", "physician", "latest_evaluation"),
        prefetch=("levels",),
    )


@login_not_required
def referral_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    """GET the referral as a FHIR R4B Bundle; `?download=1` as an attachment. Audited."""
    if request.method != "GET":
        return _method_not_allowed("GET", cds=False)
    if not request.user.is_authenticated:
        return _errors(401, AUTHENTICATION_REQUIRED)
    try:
        referral = _exportable_referral(request.user, pk)
    except Http404:
        return _errors(404, NOT_FOUND)
    bundle = referral_bundle(
        referral,
        now=timezone.now(),
        levels=list(referral.levels.all()),
        evaluation=referral.latest_evaluation,
    )
    download = request.GET.get("download") == "1"
    action = AuditEvent.Action.DOWNLOAD if download else AuditEvent.Action.EXPORT
    audit_note(request, referral, action=action, format="fhir-r4b-bundle")
    response = HttpResponse(bundle.model_dump_json(), content_type=FHIR_JSON)
    if download:
        response["Content-Disposition"] = f'attachment; filename="referral-{referral.pk}-fhir.json"'
    return response


def referral_export(request: HttpRequest, pk: int) -> HttpResponse:
    """A page offering the referral's FHIR Bundle for download."""
    referral = _exportable_referral(request.user, pk)
    audit_note(request, referral)
    return render(request, "interop/referral_export.html", {"referral": referral})


@login_not_required
def api_schema(request: HttpRequest) -> HttpResponse:
    """GET the OpenAPI 3.1 description of the JSON API."""
    if request.method != "GET":
        return _method_not_allowed("GET", cds=False)
    if not request.user.is_authenticated:
        return _errors(401, AUTHENTICATION_REQUIRED)
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


@cds_endpoint("GET")
def cds_discovery(request: HttpRequest, client: CdsClient, body: bytes) -> HttpResponse:
    """GET the CDS Hooks discovery document."""
    return JsonResponse(cds.discovery().to_json())


@cds_endpoint("POST")
def cds_service(request: HttpRequest, client: CdsClient, body: bytes) -> HttpResponse:
    """POST a CDS Hooks order-select or order-sign request: cards for vertebroplasty orders."""
    try:
        hook_request, context = cds.parse_hook_request(body)
        hook_request, fetched = cds.with_fetched_prefetch(hook_request, context, client.trusted)
        today = timezone.localdate()
        advice = cds.advise(
            hook_request,
            context,
            today=today,
            launch_url=lambda launch_id: _public_url(
                request, reverse("interop:cds-launch", args=[launch_id])
            ),
            reasons=override_reasons(),
            language=cds.card_language(request.headers.get("Accept-Language", "")),
        )
    except cds.HookRequestError as error:
        return _outcome(400, error.message, error.field)
    evaluations = services.cds_advice_record(
        advice=advice,
        hook=hook_request.hook,
        hook_instance=hook_request.hookInstance,
        evaluated_on=today,
        now=timezone.now(),
    )
    audit_note(
        request,
        hook=hook_request.hook,
        hook_instance=hook_request.hookInstance,
        cds_evaluations=[evaluation.pk for evaluation in evaluations],
        prefetch_fetched=fetched,
    )
    return JsonResponse({"cards": [item.card.to_json() for item in advice]})


@cds_endpoint("POST")
def cds_feedback(request: HttpRequest, client: CdsClient, body: bytes) -> HttpResponse:
    """POST feedback on cards (accepted / overridden with a reason)."""
    try:
        feedback = FeedbackRequest.model_validate_json(body)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" or not item["loc"] for item in error.errors()):
            return _outcome(400, MALFORMED_FEEDBACK)
        field, message = error_fields(error)[0]
        return _outcome(400, message, field)
    try:
        recorded = services.cds_feedback_record(items=feedback.feedback)
    except services.FeedbackError as error:
        return _outcome(404, error.message, error.field, code="not-found")
    audit_note(request, cds_feedback=[item.pk for item in recorded])
    return JsonResponse({"recorded": len(recorded)})


def _referral_edit_url(referral: Referral) -> str:
    """The intake form of the referral, or the best page there is while it is being built."""
    try:
        return reverse("patients:referral-edit", args=[referral.pk])
    except NoReverseMatch:
        pass
    try:
        return referral.get_absolute_url()
    except NoReverseMatch:
        return reverse("interop:referral-export", args=[referral.pk])


def cds_launch(request: HttpRequest, launch_id) -> HttpResponse:
    """Open a CDS card's link: make (once) the prefilled draft referral and go to it."""
    require_clinician(request.user, Role.PHYSICIAN)
    now = timezone.now()
    if mrn_refusals_recent(user=request.user, now=now) >= MRN_REFUSAL_LIMIT:
        return render(request, "patients/mrn_tries_exhausted.html", status=429)
    try:
        referral, created = services.referral_create_from_launch(
            launch_id=launch_id, by=request.user, now=now
        )
    except CdsLaunch.DoesNotExist:
        raise Http404 from None
    except services.LaunchProblem as problem:
        if problem.refused_mrn is not None:
            audit_record(
                action=AuditEvent.Action.MRN_REFUSED,
                outcome=AuditEvent.Outcome.DENIED,
                user=request.user,
                request=request,
                status_code=problem.status,
                details={"mrn_hash": mrn_digest(problem.refused_mrn), "source": "cds-hooks"},
            )
        return render(
            request,
            "interop/launch_problem.html",
            {"message": problem.message},
            status=problem.status,
        )
    audit_note(
        request,
        referral,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.VIEW,
        source="cds-hooks",
    )
    return redirect(_referral_edit_url(referral))
