"""No patient data in Celery messages: through a submit → decide → summary journey, every task
published to the broker and every task run carries ids only, never the canary patient's name,
MRN or birth date, nor a clinical answer or the radiologist's comment."""

import json
import threading

import pytest
from celery.signals import before_task_publish, task_prerun
from django.urls import reverse
from django.utils import timezone

from patients.models import Referral
from reviews import outbox
from tests.factories import ELIGIBLE_CASE
from tests.patients.conftest import case_form_data, shift_case_to
from tests.reviews.brokers import PrivateRedis, celery_app_on
from vpselect.publisher import publisher_idle

from .world import CANARIES, CANARY_COMMENT

pytestmark = pytest.mark.django_db

# Answers of the journey's intake form, as text: none may travel in a task message.
ANSWER_TEXTS = ("osteoporosis", "transpedicular", "fluoroscopy")


class TaskMessages:
    """Task messages seen through Celery's signals: (signal, task name, args, kwargs, extra)."""

    def __init__(self):
        self.seen: list[tuple] = []
        self._lock = threading.Lock()

    def on_publish(self, sender=None, body=None, headers=None, **kwargs):
        args, kwargs_, _ = body if isinstance(body, list | tuple) else (body, {}, None)
        with self._lock:
            self.seen.append(("publish", sender, args, kwargs_, {"headers": headers}))

    def on_prerun(self, sender=None, task=None, args=None, kwargs=None, **extra):
        with self._lock:
            self.seen.append(("run", task.name, args, kwargs, {}))

    def __enter__(self):
        before_task_publish.connect(self.on_publish, weak=False)
        task_prerun.connect(self.on_prerun, weak=False)
        return self

    def __exit__(self, *exc):
        before_task_publish.disconnect(self.on_publish)
        task_prerun.disconnect(self.on_prerun)


def journey(world, capture_on_commit) -> Referral:
    """Physician A submits for the canary patient, the radiologist decides, staff print."""
    patient = world.bundles["a"].patient
    case = shift_case_to(ELIGIBLE_CASE, timezone.localdate())
    physician = world.client("physician_a")
    radiologist = world.client("radiologist")
    staff = world.client("staff")
    with capture_on_commit(execute=True):
        response = physician.post(
            reverse("patients:referral-create", args=[patient.pk]),
            case_form_data(case, action="submit"),
        )
    assert response.status_code == 302
    referral = Referral.objects.filter(patient=patient).latest("id")
    with capture_on_commit(execute=True):
        assert radiologist.post(reverse("reviews:claim", args=[referral.pk])).status_code == 302
    referral.refresh_from_db()
    with capture_on_commit(execute=True):
        response = radiologist.post(
            reverse("reviews:decide", args=[referral.pk]),
            {
                "expected_version": referral.version,
                "outcome": "accept",
                "levels_to_treat": ["L2"],
                "comment": CANARY_COMMENT,
            },
        )
    assert response.status_code == 302, response.content.decode()[:500]
    with capture_on_commit(execute=True):
        response = staff.post(
            reverse("summaries:generate", args=[referral.pk]), {"regenerate": "1"}
        )
    assert response.status_code == 302
    return referral


def leaks(messages: TaskMessages) -> list[str]:
    found = []
    for signal, name, args, kwargs, extra in messages.seen:
        text = json.dumps([args, kwargs, extra], default=str).lower()
        for secret in (*CANARIES, *ANSWER_TEXTS):
            if secret.lower() in text:
                found.append(f"{signal} {name}: {secret!r} in {text[:300]}")
        values = [*(args or ()), *(kwargs or {}).values()]
        if not all(isinstance(value, int) for value in values):
            found.append(f"{signal} {name}: arguments are not ids only: {values!r}")
    return found


def test_tasks_run_through_the_journey_carry_ids_only(world, django_capture_on_commit_callbacks):
    with TaskMessages() as messages:
        journey(world, django_capture_on_commit_callbacks)
    names = [name for signal, name, *_ in messages.seen if signal == "run"]
    assert names.count("reviews.deliver_outbox_message") >= 2  # submitted, decided
    assert names.count("summaries.render_summary") >= 2  # on the decision, and on demand
    assert leaks(messages) == []


def test_tasks_published_to_the_broker_carry_ids_only(
    world, django_capture_on_commit_callbacks, tmp_path
):
    """The same journey against a real Redis (the test's own; no worker consumes it)."""
    broker = PrivateRedis(tmp_path)
    broker.start()
    try:
        with celery_app_on(broker.url), TaskMessages() as messages:
            outbox._broker_down_until = 0.0
            journey(world, django_capture_on_commit_callbacks)
            publisher_idle()
    finally:
        broker.stop()
    published = [name for signal, name, *_ in messages.seen if signal == "publish"]
    assert published.count("reviews.deliver_outbox_message") >= 2
    assert published.count("summaries.render_summary") >= 2
    assert leaks(messages) == []


def test_the_leak_check_catches_a_name_or_a_non_id_argument():
    """The checks above can fail: a name, or any argument that is not an id, is reported."""
    messages = TaskMessages()
    messages.seen = [
        ("run", "some.task", [7], {"note": CANARIES[1]}, {}),
        ("publish", "other.task", ["L2 osteoporosis"], {}, {"headers": {}}),
    ]
    assert len(leaks(messages)) == 4
