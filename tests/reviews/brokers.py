"""A Redis server and a Celery worker of the test's own, so a test can stop the broker."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import pytest
import redis

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server on a free port, without persistence, that the test starts and stops."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: the broker-outage tests need it.")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    pytest.fail("The private redis-server did not start.")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def celery_app_on(url: str):
    """Point this process's Celery app at another broker (publishing for real) for a while."""
    from vpselect.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}

    def reset_pools():
        # Kombu keeps one pool per broker URL for the whole process: closing only the app's
        # would leave a closed pool behind for the next test that publishes to that URL.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        # The result backend is cached per thread, built from the broker URL of its time.
        if hasattr(app._local, "backend"):
            del app._local.backend

    reset_pools()
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    try:
        yield app
    finally:
        reset_pools()
        app.conf.update(saved)


def start_worker(*, broker_url: str, database: dict, mail_dir: Path, log_path: Path):
    """A Celery worker process on `broker_url` against the test database, e-mails to files."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reviews.worker_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "VPSELECT_TEST_MAIL_DIR": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
    }
    log = log_path.open("wb")
    return subprocess.Popen(
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
            f"--hostname=outage-{os.getpid()}@localhost",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for_worker(app, worker, log_path: Path, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if worker.poll() is not None:
            pytest.fail(f"The worker exited:\n{log_path.read_text()}")
        try:
            if app.control.ping(timeout=0.5):
                return
        except Exception:  # noqa: BLE001,S110 - broker still starting
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"No worker answered within {timeout} s:\n{log_path.read_text()}")


def sent_emails(mail_dir: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every e-mail the file backend wrote."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        to = subject = ""
        for line in path.read_text().splitlines():
            if line.startswith("To: "):
                to = line[4:]
            elif line.startswith("Subject: "):
                subject = line[9:]
            elif line.startswith("-" * 79):
                found.append((to, subject))
    return found


def drain(broker_url: str, *, timeout: float = 30) -> None:
    """Return once every task published so far, duplicates included, has run to its end.

    The in-process publisher finishes first; then the broker must hold no queued message and
    no unacknowledged one (tasks are acknowledged late, once they have run; a retry waiting
    for its countdown stays unacknowledged too).
    """
    from vpselect.publisher import publisher_idle

    publisher_idle()
    client = redis.Redis.from_url(broker_url)
    deadline = time.monotonic() + timeout
    while True:
        queued = sum(
            client.llen(key) for key in client.scan_iter("celery*") if client.type(key) == b"list"
        )
        unacked = client.hlen("unacked")
        if not queued and not unacked:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"The worker did not drain: {queued} queued, {unacked} unacknowledged.")
        time.sleep(0.05)
