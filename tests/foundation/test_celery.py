import pytest

from vpselect.celery import ping


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_a_task_and_returns_its_result(celery_worker_process):
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
    assert result.status == "SUCCESS"
