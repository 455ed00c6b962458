"""Shared fixtures: real PostgreSQL and Redis (checked first), users per role, a Celery worker."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "artifacts"
SERVICES_HELP = "Start them with `docker compose up -d db redis`, or set DATABASE_URL / REDIS_URL."


def pytest_sessionstart(session):
    """Fail the whole run, loudly, when PostgreSQL or Redis is not there: never skip."""
    import psycopg2
    import redis
    from django.conf import settings

    problems = []
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        problems.append(f"Tests need PostgreSQL, but the database engine is {db['ENGINE']}.")
    else:
        try:
            psycopg2.connect(
                host=db["HOST"],
                port=db["PORT"] or 5432,
                user=db["USER"],
                password=db["PASSWORD"] or None,
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except psycopg2.Error as exc:
            problems.append(f"PostgreSQL at {db['HOST']}:{db['PORT']} is not reachable: {exc}")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis at {settings.REDIS_URL} is not reachable: {exc}")
    if problems:
        pytest.exit("\n".join([*problems, SERVICES_HELP]), returncode=3)


@pytest.fixture
def make_user(db, django_user_model):
    """Create a user holding the given role (or a superuser with role=None, superuser=True)."""
    from django.contrib.auth.models import Group

    from accounts.roles import group_name

    counter = iter(range(1, 10_000))

    def make(role=None, *, username=None, superuser=False, **fields):
        username = username or f"{role or 'admin'}{next(counter)}"
        user = django_user_model.objects.create_user(
            username=username,
            password="a-long-test-password",
            email=f"{username}@example.org",
            first_name=fields.pop("first_name", username.title()),
            last_name=fields.pop("last_name", "Tester"),
            **fields,
        )
        if superuser:
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
        if role is not None:
            user.groups.add(Group.objects.get(name=group_name(role)))
        return user

    return make


@pytest.fixture
def physician(make_user):
    from accounts.roles import Role

    return make_user(Role.PHYSICIAN, username="dr-a")


@pytest.fixture
def radiologist(make_user):
    from accounts.roles import Role

    return make_user(Role.RADIOLOGIST, username="ir-a")


@pytest.fixture
def clinic_staff(make_user):
    from accounts.roles import Role

    return make_user(Role.STAFF, username="staff-a")


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def worker_media_root(tmp_path_factory) -> Path:
    """Where the real Celery worker process stores files (rendered PDFs)."""
    return tmp_path_factory.mktemp("worker-media")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, worker_media_root):
    """A real Celery worker process consuming from Redis against the test database.

    Yields the Celery app with eager mode switched off for the duration of the session use.
    Tests using it must commit their data (`transaction=True`) so the worker can see it.
    """
    from django.conf import settings
    from django.db import connection

    from vpselect.celery import app

    db = connection.settings_dict
    url = urlparse(settings.REDIS_URL)
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vpselect.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_MEDIA_ROOT": str(worker_media_root),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "celery-worker.log"
    log = log_path.open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "vpselect",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=test-worker-{os.getpid()}@{url.hostname}",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 30
        last_error = None
        while True:
            if worker.poll() is not None:
                pytest.fail(f"The Celery worker exited at start:\n{log_path.read_text()}")
            try:
                if app.control.ping(timeout=1.0):
                    break
            except Exception as exc:  # noqa: BLE001 - broker still starting
                last_error = exc
            if time.monotonic() > deadline:
                pytest.fail(
                    f"No Celery worker ping within 30 s ({last_error!r}):\n{log_path.read_text()}"
                )
        yield app
    finally:
        app.conf.task_always_eager = was_eager
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


@pytest.fixture
def hung_broker():
    """A TCP server that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def reason_codes(db):
    """The seeded reason codes: a transactional test's flush deletes migration data."""
    import importlib

    from django.apps import apps

    importlib.import_module("reviews.migrations.0002_seed_reason_codes").seed(apps, None)


@pytest.fixture(autouse=True)
def _active_ruleset_per_test(request):
    """Read the active ruleset version afresh for each test (its database is rolled back), and
    before the test body, so that no query count includes that read."""
    from eligibility.conf import forget_active_ruleset, get_thresholds

    forget_active_ruleset()
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
        get_thresholds()
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        get_thresholds()
    yield
    forget_active_ruleset()
