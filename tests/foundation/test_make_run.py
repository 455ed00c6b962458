"""`make run` from the README: sets up, seeds demo users, serves the login page; idempotent.

It runs in a virtualenv built by `make run` itself from requirements.txt alone, as on a fresh
machine (a package app code imports but only requirements-dev.txt pins fails it). The venv
is kept between runs, named by the hash of requirements.txt, so only a change rebuilds it.
"""

import hashlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN_VENVS = Path(os.environ.get("VPSELECT_RUN_VENV_CACHE", Path.home() / ".cache" / "vpselect"))


def run_venv() -> Path:
    """The requirements.txt-only virtualenv for this requirements.txt (make run creates it)."""
    digest = hashlib.sha256((REPO / "requirements.txt").read_bytes()).hexdigest()[:16]
    return RUN_VENVS / f"run-venv-{digest}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 90) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def post_form(opener, url: str, page: str, fields: dict) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(url, data=data, headers={"Referer": url})
    return opener.open(request, timeout=10).read().decode()


def log_in(base: str, username: str, password: str) -> str:
    """Log in through the real forms, giving the demo administrator's TOTP code when asked."""
    from django_otp.oath import totp

    from accounts.demo import DEMO_ADMIN_TOTP_KEY

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{base}/accounts/login/"
    page = opener.open(login_url, timeout=5).read().decode()
    page = post_form(opener, login_url, page, {"username": username, "password": password})
    if "Enter your authentication code" in page:
        code = f"{totp(bytes.fromhex(DEMO_ADMIN_TOTP_KEY)):06d}"
        page = post_form(opener, f"{base}/accounts/two-factor/verify/", page, {"token": code})
    return page


def test_make_run_from_requirements_txt_alone_serves_login_and_demo_users_log_in_twice(
    tmp_path,
):
    from accounts.demo import DEMO_USERS

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_"))}
    port = free_port()
    venv = run_venv()
    venv.parent.mkdir(parents=True, exist_ok=True)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        PORT=str(port),
        DJANGO_SETTINGS_MODULE="vpselect.settings.local",
        DJANGO_EMAIL_FILE_PATH=str(tmp_path / "mail"),
        VENV=str(venv),
    )
    # Build (or refresh) the venv first, as `make run` would, so the server's wait is short.
    subprocess.run(
        ["make", f"VENV={venv}", f"{venv}/.installed-run"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=900,
    )
    # The second run proves `make run` is idempotent on an existing database.
    for attempt in (1, 2):
        server = subprocess.Popen(
            ["make", "run", f"VENV={venv}"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            try:
                login_page = wait_for(f"{base}/accounts/login/")
            except OSError:
                os.killpg(server.pid, signal.SIGTERM)
                output = server.communicate(timeout=10)[0].decode()
                pytest.fail(f"make run did not serve the login page (run {attempt}):\n{output}")
            assert b"Log in to VPSelect" in login_page
            for username, _first, _last, role, password in DEMO_USERS:
                if attempt == 2 and role is None:
                    continue  # a TOTP code is good once: the admin's was used by the first run
                home = log_in(base, username, password)
                assert "Welcome," in home, username
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            output = server.communicate(timeout=60)[0].decode()
        # A quiet start: where the demo e-mails go, the address, a table of the demo users.
        assert f"Demo e-mails are written to {tmp_path / 'mail'}/" in output
        assert f"VPSelect: http://127.0.0.1:{port}/" in output
        assert "Subject:" not in output and "succeeded in" not in output
        for username, *_rest, password in DEMO_USERS:
            assert re.search(rf"^  .+  {re.escape(username)} +{re.escape(password)}", output, re.M)
    # Nothing but requirements.txt is in that venv: the test packages are not.
    dev_only = subprocess.run([venv / "bin" / "python", "-c", "import pytest"], check=False)
    assert dev_only.returncode != 0
    assert list((tmp_path / "mail").iterdir()), "the demo notifications were written to files"
