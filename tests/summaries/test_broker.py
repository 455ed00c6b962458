"""A broker outage neither fails a decision nor loses its PDF: the sweep queues it later."""

import hashlib
import json
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from summaries.models import SummaryDocument
from summaries.services import ENQUEUE_GRACE, summaries_requeue_pending
from summaries.tasks import requeue_pending_summaries
from vpselect.publisher import publisher_idle

pytestmark = pytest.mark.django_db(transaction=True)

MAX_DECISION_SECONDS = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def celery_broker(url: str):
    """Publish from this process to another broker for a while, for real (not eagerly)."""
    from vpselect.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def reset_pools():
        # Kombu keeps one pool per broker URL for the process: drop them all (closed ones too)
        # so that publishing really connects to the broker now configured.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    app.conf.update(broker_url=url, task_always_eager=False)
    try:
        yield app
    finally:
        reset_pools()
        app.conf.update(saved)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: the broker tests need it.")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                process.terminate()
                pytest.fail("The private redis-server did not start.")
            time.sleep(0.05)
    yield url, client
    process.terminate()
    process.wait(timeout=10)


def _decide_during_outage(referral, decide):
    closed = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    with celery_broker(closed):
        started = time.monotonic()
        decision = decide(referral)
        seconds = time.monotonic() - started
        publisher_idle()  # the background publish has failed by now
    return decision, seconds


def test_with_the_broker_down_a_decision_stands_and_its_summary_waits_then_is_queued(
    submitted_referral, decide, private_redis
):
    url, broker = private_redis
    referral = submitted_referral()
    decision, seconds = _decide_during_outage(referral, decide)

    assert seconds <= MAX_DECISION_SECONDS
    document = SummaryDocument.objects.get(decision=decision)
    assert document.status == SummaryDocument.Status.PENDING
    assert document.enqueued_at is None

    with celery_broker(url):  # the broker is back
        later = timezone.now() + ENQUEUE_GRACE + timedelta(seconds=1)
        assert summaries_requeue_pending(now=later) == 1
        assert summaries_requeue_pending(now=later) == 0  # queued once, not again
    document.refresh_from_db()
    assert document.enqueued_at is not None
    message = json.loads(broker.lpop("celery"))
    assert message["headers"]["task"] == "summaries.render_summary"
    assert message["headers"]["argsrepr"] == f"({document.pk},)"  # the id, no patient data
    assert broker.llen("celery") == 0


def test_after_an_outage_the_periodic_sweep_gets_the_pdf_made_by_a_real_worker(
    submitted_referral, decide, celery_worker_process, worker_media_root
):
    referral = submitted_referral()
    decision, seconds = _decide_during_outage(referral, decide)
    assert seconds <= MAX_DECISION_SECONDS
    document = SummaryDocument.objects.get(decision=decision)
    SummaryDocument.objects.filter(pk=document.pk).update(
        created_at=timezone.now() - ENQUEUE_GRACE - timedelta(seconds=1)
    )

    with celery_broker(settings.REDIS_URL):
        # What beat runs every minute, here sent to the worker like beat would.
        assert requeue_pending_summaries.delay().get(timeout=30) == 1
    deadline = time.monotonic() + 60
    while document.status == SummaryDocument.Status.PENDING:
        assert time.monotonic() < deadline, "the worker did not render the summary"
        time.sleep(0.3)
        document.refresh_from_db()

    assert document.status == SummaryDocument.Status.READY, document.error
    stored = worker_media_root / document.file.name
    try:
        pdf = stored.read_bytes()
        assert hashlib.sha256(pdf).hexdigest() == document.sha256
    finally:
        stored.unlink(missing_ok=True)
