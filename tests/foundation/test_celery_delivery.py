"""Celery's delivery settings for more than one worker (issue 25): nothing lost, nothing
done twice when a worker dies holding a task."""

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from summaries.tasks import RENDER_MAX_RETRIES, RENDER_RETRY_BACKOFF


def test_a_task_is_acknowledged_after_it_ran_and_handed_back_if_its_worker_dies():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_redis_hands_back_a_dead_workers_tasks_within_a_minute_but_after_any_countdown():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    longest_countdown = RENDER_RETRY_BACKOFF * 2 ** (RENDER_MAX_RETRIES - 1)
    scan_every = options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    assert longest_countdown < options["visibility_timeout"]
    assert options["visibility_timeout"] + scan_every <= 60


def test_the_outbox_is_republished_often_enough_to_drain_within_a_minute():
    from reviews.outbox import REPUBLISH_AFTER

    schedule = settings.CELERY_BEAT_SCHEDULE["reviews-outbox-republish"]["schedule"]
    assert REPUBLISH_AFTER.total_seconds() + schedule <= 60


def test_set_database_defaults_turns_jit_off_and_sets_utc_for_pooled_connections(db):
    call_command("set_database_defaults")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
            " WHERE d.datname = current_database() AND s.setrole = 0"
        )
        (config,) = cursor.fetchone()
    assert {"jit=off", "TimeZone=UTC"} <= set(config)
