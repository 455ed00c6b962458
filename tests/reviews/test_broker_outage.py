"""A broker outage must not fail or slow a submission or a decision, nor lose a notification."""

import datetime as dt
import time
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from patients.models import Referral
from reviews import outbox
from reviews.models import Notification, OutboxMessage, ReasonCode, ReviewDecision
from reviews.tasks import outbox_republish
from tests.factories import make_patient
from tests.patients.conftest import case_form_data
from vpselect.publisher import publisher_idle

from .brokers import (
    PrivateRedis,
    celery_app_on,
    drain,
    sent_emails,
    start_worker,
    wait_for_worker,
)
from .conftest import CASES

pytestmark = pytest.mark.django_db(transaction=True)

MAX_SECONDS = 5.0


@pytest.fixture
def private_worker(tmp_path, artifacts_dir):
    """A Redis of the test's own and a real worker on it; the test may stop and restart Redis."""
    broker = PrivateRedis(tmp_path)
    broker.start()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = artifacts_dir / "outage-worker.log"
    worker = start_worker(
        broker_url=broker.url,
        database=connection.settings_dict,
        mail_dir=mail_dir,
        log_path=log_path,
    )
    try:
        with celery_app_on(broker.url) as app:
            wait_for_worker(app, worker, log_path)
            yield broker, mail_dir, app
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except Exception:  # noqa: BLE001
            worker.kill()
        broker.stop()


def timed(action):
    """Run `action` with the outbox's broker pause cleared, so each call pays the full cost."""
    outbox._broker_down_until = 0.0
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def wait_until_all_sent(*, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(sent_at__isnull=True).exists():
        if time.monotonic() > deadline:
            unsent = list(OutboxMessage.objects.filter(sent_at__isnull=True).values())
            pytest.fail(f"Outbox messages still unsent: {unsent}")
        time.sleep(0.2)


def test_with_the_broker_down_submitting_and_deciding_succeed_and_nothing_is_lost(
    private_worker, client, physician, radiologist, radiologist2
):
    broker, mail_dir, app = private_worker
    patient = make_patient(by=physician)
    client.force_login(physician)

    broker.stop()  # the outage
    submit, submit_seconds = timed(
        lambda: client.post(
            reverse("patients:referral-create", args=[patient.pk]),
            case_form_data(CASES["review"], action="submit"),
            follow=True,
        )
    )
    referral = Referral.objects.get(patient=patient)
    assert submit.status_code == 200
    assert referral.status == Referral.Status.SUBMITTED and referral.flagged  # committed
    client.force_login(radiologist)
    claim, claim_seconds = timed(
        lambda: client.post(reverse("reviews:claim", args=[referral.pk]), follow=True)
    )
    referral.refresh_from_db()
    decision, decide_seconds = timed(
        lambda: client.post(
            reverse("reviews:decide", args=[referral.pk]),
            {
                "expected_version": referral.version,
                "outcome": "accept",
                "levels_to_treat": ["L1"],
                "override_reason": ReasonCode.objects.get(code="imaging-reviewed").pk,
                "comment": "Fragment stable on CT.",
            },
            follow=True,
        )
    )

    publisher_idle()  # the background publishes failed: the broker is down
    assert claim.status_code == 200 and decision.status_code == 200
    assert max(submit_seconds, claim_seconds, decide_seconds) <= MAX_SECONDS
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.ACCEPTED
    assert ReviewDecision.objects.filter(referral=referral, is_override=True).count() == 1
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    assert not Notification.objects.exists()

    broker.start()  # the broker is back; the worker reconnects
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    outbox_republish.delay()  # what beat runs every minute
    outbox.outbox_publish_pending(older_than=dt.timedelta(0))  # and a duplicate publish
    wait_until_all_sent()
    drain(broker.url)  # every delivery, the duplicate publish's included, has run

    emails = Counter(sent_emails(mail_dir))
    assert emails == {
        (radiologist.email, f"VPSelect: referral #{referral.pk} submitted [FLAGGED for review]"): 1,
        (
            radiologist2.email,
            f"VPSelect: referral #{referral.pk} submitted [FLAGGED for review]",
        ): 1,
        (physician.email, f"VPSelect: decision on referral #{referral.pk}"): 1,
    }
    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("dr-a", "decision_recorded"),
        ("ir-a", "referral_submitted"),
        ("ir-b", "referral_submitted"),
    ]


def test_a_hung_broker_does_not_hang_a_submission_or_a_decision(
    hung_broker, client, physician, radiologist
):
    patient = make_patient(by=physician)
    with celery_app_on(hung_broker):
        client.force_login(physician)
        submit, submit_seconds = timed(
            lambda: client.post(
                reverse("patients:referral-create", args=[patient.pk]),
                case_form_data(CASES["eligible"], action="submit"),
            )
        )
        referral = Referral.objects.get(patient=patient)
        client.force_login(radiologist)
        decision, decide_seconds = timed(
            lambda: client.post(
                reverse("reviews:decide", args=[referral.pk]),
                {
                    "expected_version": referral.version,
                    "outcome": "accept",
                    "levels_to_treat": ["L2"],
                },
            )
        )
        publisher_idle()

    assert submit.status_code == 302 and decision.status_code == 302
    assert max(submit_seconds, decide_seconds) <= MAX_SECONDS
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.ACCEPTED
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
