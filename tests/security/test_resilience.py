"""Outages, through a real server process (gunicorn, one sync worker, the test database):

- a PostgreSQL connection cut between two requests costs no 500 (CONN_HEALTH_CHECKS);
- with Redis stopped, physicians and radiologists log in, fill, submit and decide, and the
  queued work (notifications, e-mails, summary PDFs) completes once Redis is back: nothing
  lost, nothing done twice;
- a hung broker (accepts connections, never answers) delays no request by more than 5 s.

Figures (timings) are written to artifacts/security/resilience-*.json for docs/security.md.
"""

import datetime as dt
import json
import time
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from patients.models import Referral
from reviews.models import Notification, OutboxMessage
from reviews.outbox import outbox_publish_pending
from summaries.models import SummaryDocument
from summaries.services import summaries_requeue_pending
from tests.factories import ELIGIBLE_CASE, make_patient
from tests.patients.conftest import case_form_data, shift_case_to
from tests.reviews.brokers import (
    PrivateRedis,
    celery_app_on,
    drain,
    sent_emails,
    start_worker,
    wait_for_worker,
)

from .server import APPLICATION_NAME, Server

pytestmark = pytest.mark.django_db(transaction=True)

MAX_SECONDS = 5.0


@pytest.fixture
def people(make_user):
    return {
        "physician": make_user(Role.PHYSICIAN, username="res-dr"),
        "radiologist": make_user(Role.RADIOLOGIST, username="res-ir"),
        "staff": make_user(Role.STAFF, username="res-staff"),
    }


@pytest.fixture
def figures(artifacts_dir):
    """Timings of the test, written for docs/security.md."""
    recorded: dict = {}
    yield recorded
    out = artifacts_dir / "security"
    out.mkdir(exist_ok=True)
    name = recorded.pop("_name", "resilience")
    (out / f"{name}.json").write_text(json.dumps(recorded, indent=2, default=str))


def start_server(tmp_path, artifacts_dir, broker_url: str, name: str, **env) -> Server:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    server = Server(
        database=connection.settings_dict,
        broker_url=broker_url,
        log_path=artifacts_dir / f"{name}-server.log",
        media=media,
        **env,
    )
    server.start()
    return server


def server_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME]
        )
        return [pid for (pid,) in cursor.fetchall()]


def cut_server_connections() -> int:
    """pg_terminate_backend on every database session of the server; how many were cut."""
    pids = server_backends()
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while server_backends() and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(pids)


def clinical_journey(server: Server, patient, *, figures: dict) -> Referral:
    """Log in, fill (form and live panel), submit; log in as radiologist, claim, decide."""
    case = shift_case_to(ELIGIBLE_CASE, timezone.localdate())
    physician = server.browser()
    physician.log_in("res-dr")
    form = physician.get(reverse("patients:referral-create", args=[patient.pk]))
    assert form.status == 200
    live = physician.post(
        reverse("patients:referral-live-new", args=[patient.pk]),
        case_form_data(case, action="live"),
    )
    assert live.status == 200 and 'data-recommendation="eligible"' in live.body
    submit = physician.post(
        reverse("patients:referral-create", args=[patient.pk]),
        case_form_data(case, action="submit"),
    )
    assert submit.status == 302, submit.body[:500]
    referral = Referral.objects.get(patient=patient)
    assert referral.status == Referral.Status.SUBMITTED
    radiologist = server.browser()
    radiologist.log_in("res-ir")
    assert radiologist.get(reverse("reviews:worklist")).status == 200
    claim = radiologist.post(reverse("reviews:claim", args=[referral.pk]))
    assert claim.status == 302
    referral.refresh_from_db()
    decide = radiologist.post(
        reverse("reviews:decide", args=[referral.pk]),
        {"expected_version": referral.version, "outcome": "accept", "levels_to_treat": ["L2"]},
    )
    assert decide.status == 302, decide.body[:500]
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    timings = physician.timings + radiologist.timings
    figures["requests"] = len(timings)
    figures["slowest_request"] = max(timings, key=lambda item: item[1])
    figures["server_errors"] = 0
    assert max(seconds for _, seconds in timings) <= MAX_SECONDS, timings
    return referral


# --- PostgreSQL ---------------------------------------------------------------------------------


def test_a_database_connection_cut_between_requests_costs_no_server_error(
    people, tmp_path, artifacts_dir, figures
):
    figures["_name"] = "resilience-postgres"
    server = start_server(tmp_path, artifacts_dir, _test_redis(), "pg-drop")
    try:
        browser = server.browser()
        browser.log_in("res-dr")
        assert browser.get(reverse("patients:referral-list")).status == 200
        before = server_backends()
        assert before, "the server keeps its database connection between requests"
        assert cut_server_connections() == len(before)

        after_cut = browser.get(reverse("patients:referral-list"))
        again = browser.post(reverse("patients:referral-list"), {"q": "nobody"})

        assert (after_cut.status, again.status) == (200, 200)
        assert server_backends() and set(server_backends()).isdisjoint(before)
        figures["status_after_cut"] = after_cut.status
        figures["seconds_after_cut"] = after_cut.seconds
    finally:
        server.stop()


def test_without_health_checks_the_same_cut_would_cost_a_server_error(
    people, tmp_path, artifacts_dir
):
    """The control: the test above can fail, and CONN_HEALTH_CHECKS is what passes it."""
    server = start_server(
        tmp_path, artifacts_dir, _test_redis(), "pg-drop-unchecked", VPSELECT_TEST_HEALTH_CHECKS="0"
    )
    try:
        browser = server.browser()
        browser.log_in("res-dr")
        assert browser.get(reverse("patients:referral-list")).status == 200
        assert cut_server_connections() >= 1
        assert browser.get(reverse("patients:referral-list")).status == 500
    finally:
        server.stop()


def _test_redis() -> str:
    from django.conf import settings

    return settings.REDIS_URL


# --- Redis stopped ------------------------------------------------------------------------------


def wait_until(condition, *, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"Not done within {timeout} s: {what}")
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.slow
def test_with_redis_stopped_the_clinic_works_and_queued_work_completes_once_it_returns(
    people, tmp_path, artifacts_dir, figures, monkeypatch
):
    figures["_name"] = "resilience-redis-down"
    broker = PrivateRedis(tmp_path)
    broker.start()
    server = start_server(tmp_path, artifacts_dir, broker.url, "redis-down")
    patient = make_patient(by=people["physician"])
    worker = None
    try:
        broker.stop()  # the outage
        health = server.browser().get("/readyz")
        assert health.status == 503 and json.loads(health.body)["checks"] == {
            "database": "ok",
            "broker": "down",
        }
        assert health.seconds <= MAX_SECONDS
        referral = clinical_journey(server, patient, figures=figures)
        staff = server.browser()
        staff.log_in("res-staff")
        generate = staff.post(
            reverse("summaries:generate", args=[referral.pk]), {"regenerate": "1"}
        )
        assert generate.status == 302
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
        assert not Notification.objects.exists()
        pending = SummaryDocument.objects.filter(referral=referral)
        assert pending.count() == 2
        assert set(pending.values_list("status", flat=True)) == {SummaryDocument.Status.PENDING}

        broker.start()  # Redis is back (empty: whatever the server tried to queue is gone)
        mail_dir = tmp_path / "mail"
        mail_dir.mkdir()
        monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(tmp_path / "media"))
        log_path = artifacts_dir / "redis-down-worker.log"
        worker = start_worker(
            broker_url=broker.url,
            database=connection.settings_dict,
            mail_dir=mail_dir,
            log_path=log_path,
        )
        with celery_app_on(broker.url) as app:
            wait_for_worker(app, worker, log_path)
            started = time.monotonic()
            # What Celery beat runs every minute, twice over (a duplicate publish).
            for _ in range(2):
                outbox_publish_pending(older_than=dt.timedelta(0))
                summaries_requeue_pending(now=timezone.now() + dt.timedelta(minutes=15))
            wait_until(
                lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
                timeout=60,
                what="outbox messages sent",
            )
            current = SummaryDocument.objects.filter(referral=referral, superseded_by=None)
            wait_until(
                lambda: current.filter(status=SummaryDocument.Status.READY).exists(),
                timeout=90,
                what="the current summary's PDF rendered",
            )
            figures["seconds_to_catch_up"] = round(time.monotonic() - started, 1)
            drain(broker.url)  # every delivery, the duplicate publishes' included, has run

        notifications = Counter(Notification.objects.values_list("recipient__username", "kind"))
        assert notifications == {
            ("res-ir", "referral_submitted"): 1,
            ("res-dr", "decision_recorded"): 1,
        }
        emails = Counter(to for to, _ in sent_emails(mail_dir))
        assert emails == {"res-ir@example.org": 1, "res-dr@example.org": 1}
        # The decision's summary was superseded by the one staff asked for before it was ever
        # rendered: only the current one is worth a PDF, rendered once despite two publishes.
        (document,) = current
        assert (document.status, document.attempts) == (SummaryDocument.Status.READY, 1)
        assert SummaryDocument.objects.filter(referral=referral).count() == 2
        figures["lost"] = 0
        figures["duplicated"] = 0
        figures["notifications"] = sum(notifications.values())
        figures["emails"] = sum(emails.values())
        figures["summary_pdfs_rendered"] = 1
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
        server.stop()
        broker.stop()


# --- A hung broker ------------------------------------------------------------------------------


def test_a_hung_broker_delays_no_request_by_more_than_five_seconds(
    people, tmp_path, artifacts_dir, figures, hung_broker
):
    figures["_name"] = "resilience-hung-broker"
    server = start_server(tmp_path, artifacts_dir, hung_broker, "hung-broker")
    patient = make_patient(by=people["physician"])
    try:
        health = server.browser().get("/readyz")
        assert health.status == 503 and health.seconds <= MAX_SECONDS
        figures["readyz_seconds"] = round(health.seconds, 2)
        referral = clinical_journey(server, patient, figures=figures)
        staff = server.browser()
        staff.log_in("res-staff")
        generate = staff.post(
            reverse("summaries:generate", args=[referral.pk]), {"regenerate": "1"}
        )
        assert generate.status == 302 and generate.seconds <= MAX_SECONDS
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    finally:
        server.stop()
