"""Project-level views: the role-aware home page, liveness (/healthz) and readiness (/readyz)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from eligibility.conf import get_thresholds
from eligibility.engine.version import ruleset_version

# Every health answer names the rules this process evaluates with, so that a load balancer or
# `kubectl` shows two versions side by side during a rollout.
RULESET_HEADER = "X-VPSelect-Ruleset"


def home(request):
    return render(request, "home.html")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


def _broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):  # `make run` without Redis: tasks run in-process
        return True
    try:
        with Connection(url, connect_timeout=2, transport_options={"socket_timeout": 2}) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


def _health_response(body: dict, *, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response[RULESET_HEADER] = ruleset_version(get_thresholds())
    return response


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness: 200 whenever this process answers, whatever the database or broker do.

    A liveness probe that followed the database would have every web node restarted during a
    database outage, which cures nothing; readiness (/readyz) takes the node out instead.
    """
    return _health_response({"status": "ok"}, status=200)


@login_not_required
@never_cache
@require_GET
def readyz(request):
    """Readiness: 200 when the database and the broker answer, else 503 naming which is down."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    status = 200 if all(checks.values()) else 503
    body = {
        "status": "ok" if status == 200 else "unavailable",
        "checks": {name: "ok" if ok else "down" for name, ok in checks.items()},
    }
    return _health_response(body, status=status)
