"""A real VPSelect server process (gunicorn) on the test database, and a small browser for it."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

REPO = Path(__file__).resolve().parents[2]
APPLICATION_NAME = "vpselect-resilience-server"
PASSWORD = "a-long-test-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(database: dict) -> str:
    return (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/"
        f"{database['NAME']}"
    )


class Server:
    """gunicorn with one sync worker: one process, one database connection kept between
    requests, as in production."""

    def __init__(self, *, database: dict, broker_url: str, log_path: Path, media: Path, **env):
        self.port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.security.server_settings",
            "DATABASE_URL": database_url(database),
            "REDIS_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_MEDIA_ROOT": str(media),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "vpselect.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--timeout",
                "60",
            ],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not listen:\n{self.log_path.read_text()[-3000:]}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def browser(self) -> "Browser":
        return Browser(self.port)


@dataclass
class Answer:
    status: int
    headers: dict
    body: str
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """Requests with cookies and CSRF tokens, redirects not followed, each one timed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.timings: list[tuple[str, float]] = []

    def request(self, method: str, path: str, data: dict | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            fields = dict(data or {})
            fields.setdefault("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))
            body = urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        started = time.monotonic()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode(errors="replace")
        seconds = time.monotonic() - started
        connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        self.timings.append((f"{method} {path}", seconds))
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, content, seconds
        )

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, data: dict | None = None) -> Answer:
        return self.request("POST", path, data)

    def log_in(self, username: str) -> Answer:
        page = self.get("/accounts/login/")
        assert page.status == 200, page.status
        answer = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert answer.status == 302 and "/accounts/login" not in answer.location, answer
        return answer

    def form_value(self, path_body: str, name: str) -> str:
        match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', path_body)
        return match.group(1) if match else ""
