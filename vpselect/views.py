"""Project-level views: the role-aware home page, liveness and readiness."""

import threading
import time
from typing import cast

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


def home(request):
    return render(request, "home.html")


RULESET_HEADER = "X-VPSelect-Ruleset"
# A probe result is reused this long, so that polling (or a flood of anonymous calls) during
# an outage costs at most one probe per process per window, not one per request.
READINESS_CACHE_SECONDS = 5
BROKER_TIMEOUT_SECONDS = 1


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
        with Connection(
            url,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options={
                "socket_timeout": BROKER_TIMEOUT_SECONDS,
                "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
                "retry_on_timeout": False,
            },
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


class _Readiness:
    """The last probe of the database and the broker, shared by the threads of a process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checks: dict[str, bool] | None = None
        self.probed_at = 0.0
        self.probes = 0

    def now(self) -> float:  # a seam for tests
        return time.monotonic()

    def current(self) -> dict[str, bool]:
        if self.checks is not None and self.now() - self.probed_at < READINESS_CACHE_SECONDS:
            return self.checks
        # One thread probes; the others answer with the last result while it does.
        if not self.lock.acquire(blocking=self.checks is None):
            # Not blocking means an earlier probe exists: its result is what we answer.
            return cast(dict[str, bool], self.checks)
        try:
            self.checks = {"database": _database_ok(), "broker": _broker_ok()}
            self.probed_at = self.now()
            self.probes += 1
            return self.checks
        finally:
            self.lock.release()

    def forget(self) -> None:
        self.checks = None
        self.probes = 0


readiness = _Readiness()


def _with_ruleset(response):
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
    return _with_ruleset(JsonResponse({"status": "ok"}))


@login_not_required
@never_cache
@require_GET
def readyz(request):
    """Readiness: 200 when the database and the broker answered the last probe (at most a few
    seconds old), else 503 naming what is down."""
    checks = readiness.current()
    status = 200 if all(checks.values()) else 503
    body = {
        "status": "ok" if status == 200 else "unavailable",
        "checks": {name: "ok" if ok else "down" for name, ok in checks.items()},
    }
    return _with_ruleset(JsonResponse(body, status=status))
