"""Behind PgBouncer, opening a database connection is tried again for a few seconds: a pooler
restarting (well under a second) costs a request a short wait, not a 500."""

import time

import pytest
from django.db import OperationalError, connection
from django.db.backends.postgresql import base as django_base

from vpselect.dbbackend.base import DatabaseWrapper


def wrapper(*, retry_seconds: float, **changes) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "CONNECT_RETRY_SECONDS": retry_seconds, **changes}
    return DatabaseWrapper(settings, alias="retry-test")


@pytest.mark.django_db
def test_a_refused_connection_is_opened_again_once_the_pooler_is_back(monkeypatch):
    opened = django_base.DatabaseWrapper.get_new_connection
    attempts = []

    def refused_twice(self, conn_params):
        attempts.append(time.monotonic())
        if len(attempts) <= 2:
            raise django_base.Database.OperationalError("Connection refused")
        return opened(self, conn_params)

    monkeypatch.setattr(django_base.DatabaseWrapper, "get_new_connection", refused_twice)
    database = wrapper(retry_seconds=5)
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        database.close()
    assert len(attempts) == 3


@pytest.mark.django_db
def test_a_database_that_stays_away_fails_after_the_retry_window():
    database = wrapper(retry_seconds=0.6, HOST="127.0.0.1", PORT=1)  # nothing listens on port 1
    started = time.monotonic()
    with pytest.raises(OperationalError, match="refused"):
        database.ensure_connection()
    assert 0.4 <= time.monotonic() - started < 3


@pytest.mark.django_db
def test_without_a_retry_window_a_refused_connection_fails_at_once():
    database = wrapper(retry_seconds=0, HOST="127.0.0.1", PORT=1)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="refused"):
        database.ensure_connection()
    assert time.monotonic() - started < 0.4
