"""Error pages rendered with the site layout, carrying no detail of the failure.

On the JSON API (/api/*) and the CDS Hooks endpoints (/cds-services*) the same errors are
JSON: the API's `{"errors": [...]}` and, for CDS Hooks, a FHIR OperationOutcome.
"""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.defaults import bad_request as html_bad_request

API_PREFIX = "/api/"
CDS_PREFIX = "/cds-services"


def json_error(request, status: int, message: str, *, code: str) -> JsonResponse | None:
    """The error as JSON when the path is an API or CDS Hooks one, else None."""
    if request.path.startswith(CDS_PREFIX):
        issue = {"severity": "error", "code": code, "details": {"text": message}}
        return JsonResponse({"resourceType": "OperationOutcome", "issue": [issue]}, status=status)
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"errors": [{"field": "", "message": message}]}, status=status)
    return None


def bad_request(request, exception=None):
    return json_error(request, 400, _("Bad request."), code="invalid") or html_bad_request(
        request, exception
    )


def permission_denied(request, exception=None):
    return json_error(request, 403, _("Permission denied."), code="forbidden") or render(
        request, "403.html", status=403
    )


def page_not_found(request, exception=None):
    return json_error(request, 404, _("Not found."), code="not-found") or render(
        request, "404.html", status=404
    )


def server_error(request):
    if response := json_error(request, 500, _("Internal error."), code="exception"):
        return response
    # Rendered without a request context: the failure may be in a context processor.
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    """CSRF refusals: JSON on the API, Django's page elsewhere."""
    message = _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie.")
    return json_error(request, 403, message, code="forbidden") or html_csrf_failure(request, reason)
