"""The JSON API: POST /api/evaluate takes a case and answers the engine's result."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .conf import get_thresholds
from .engine import CaseValidationError, evaluate, parse_case_json, result_to_json

MAX_CASE_BYTES = 64 * 1024

AUTHENTICATION_REQUIRED = "Authentication required."
METHOD_NOT_ALLOWED = "Use POST with the case as a JSON object."
UNSUPPORTED_MEDIA_TYPE = "Send the case as application/json."
CASE_TOO_LARGE = f"The case is larger than {MAX_CASE_BYTES // 1024} KiB."


def _errors(status: int, errors: list[dict[str, str]]) -> JsonResponse:
    return JsonResponse(
        {"errors": errors}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _error(status: int, message: str) -> JsonResponse:
    return _errors(status, [{"field": "", "message": message}])


# Not the login redirect of LoginRequiredMiddleware, nor the CSRF middleware's 403: an
# anonymous JSON client gets a JSON 401 first. A logged-in caller then passes the CSRF check
# (the session-authenticated intake form sends the token header).
@login_not_required
@csrf_exempt
def evaluate_case(request: HttpRequest) -> HttpResponse:
    """Evaluate the posted case: 200 with the result JSON, or 4xx with field errors."""
    if request.method != "POST":
        response = _error(405, METHOD_NOT_ALLOWED)
        response["Allow"] = "POST"
        return response
    if not request.user.is_authenticated:
        return _error(401, AUTHENTICATION_REQUIRED)
    return _evaluate_checked(request)


@csrf_protect
def _evaluate_checked(request: HttpRequest) -> HttpResponse:
    if request.content_type != "application/json":
        return _error(415, UNSUPPORTED_MEDIA_TYPE)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # Read at most one byte past the limit: a larger body is never held in memory.
    body = b"" if declared > MAX_CASE_BYTES else request.read(MAX_CASE_BYTES + 1)
    if declared > MAX_CASE_BYTES or len(body) > MAX_CASE_BYTES:
        return _error(413, CASE_TOO_LARGE)
    try:
        result = evaluate(
            parse_case_json(body), today=timezone.localdate(), thresholds=get_thresholds()
        )
    except CaseValidationError as exc:
        return _errors(400, [{"field": e.field, "message": e.message} for e in exc.errors])
    return HttpResponse(result_to_json(result), content_type="application/json")
