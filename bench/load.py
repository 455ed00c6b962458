"""Load benchmark: VPSelect under gunicorn, page by page, next to the framework's floor.

    .venv/bin/python bench/load.py [--seconds 6] [--mix-seconds 15] [--concurrency 8]

Needs the bench database (`bench/seed.py`), PostgreSQL and Redis. Starts gunicorn on
127.0.0.1 with the bench settings (production, DEBUG off, plain http), logs in physicians,
radiologists and clinic staff, and then, with `--concurrency` clients:

1. drives each endpoint alone for `--seconds` (after a warm-up), back to back with no think
   time, the floor first and last — requests/s, p50, p95, p99, errors, and the ratio of its
   requests/s to the floor's (the saturation throughput of each page);
2. drives the clinic's mix of all of them together for `--mix-seconds`, back to back;
3. drives each endpoint that has a latency target alone for `--pace-seconds` at the fastest
   pace people can drive it: `--concurrency` users, each sending its next request a think
   time after the last answer (at least the intake form's 400 ms debounce for the live
   evaluation, at least 1 s for a page; up to twice that, at random, so that the users are
   not in step) — latencies as those users feel them.

Traffic goes to 127.0.0.1 only; the whole run (server start to stop) is bounded by
`--budget` seconds (300). Prints the tables, writes them to artifacts/bench-load.json (or
bench-load-LABEL.json with `--label`), and exits non-zero on any error (a status other than
the page's own, a redirect to the login page, a timeout, a refused connection), or, with
`--strict`, on a missed target.
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402 - after the path setup above

HOST = "127.0.0.1"
ARTIFACTS = common.REPO / "artifacts"
REQUEST_TIMEOUT = 10.0
# Targets of issue #9 on this 2-core machine at concurrency 8 (p95 in ms).
P95_TARGETS_MS = {
    "live evaluation": 25.0,
    "referral submit": 60.0,
    "worklist": 60.0,
    "worklist filtered": 60.0,
}
# The pages whose cost may grow with the data (issue 25), paced by bench/scale.py; the
# writes are left out of that bench (they would change what the next scale is compared with).
GROWTH_PAGES = (
    "physician list",
    "worklist",
    "worklist filtered",
    "review page",
    "summary print page",
    "print queue",
    "follow-ups due",
    "outcomes dashboard",
    "audit by patient",
    "audit by user",
    "audit by date",
)
WRITES = ("referral submit", "review decision", "live evaluation")
# Issue 19 retired the 35% target: the floor ratio is now a lower bound that no page may
# drop below, while the p95s at a person's pace (above) are what people feel.
FLOOR_RATIO_TARGET = 0.20
# Yardsticks, not pages: the floor, and the floor page (the floor's SELECT as a page: a role
# check and the layout every page shares). No target applies to them.
YARDSTICKS = ("floor", "floor page")
# The fastest a person makes each request again: the live panel fires 400 ms after the last
# keystroke (templates/patients/referral_form.html, hx-trigger delay); a page takes a click.
LIVE_DEBOUNCE_SECONDS = 0.4
PAGE_THINK_SECONDS = 1.0
PACE_THINK_SECONDS = {"live evaluation": LIVE_DEBOUNCE_SECONDS}
# The clinic's mix: mostly the live panel while physicians type, then the lists.
MIX_WEIGHTS = {
    "live evaluation": 35,
    "referral submit": 6,
    "physician list": 12,
    "worklist": 12,
    "worklist filtered": 10,
    "review page": 10,
    "review decision": 5,
    "summary print page": 10,
}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- HTTP ---------------------------------------------------------------------------------


_connections = threading.local()


def _connection(port: int) -> http.client.HTTPConnection:
    """This client thread's keep-alive connection (shared by the sessions it plays)."""
    connection = getattr(_connections, "connection", None)
    if connection is None:
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        _connections.connection = connection
    return connection


def _forget_connection() -> None:
    connection = getattr(_connections, "connection", None)
    if connection is not None:
        connection.close()
    _connections.connection = None


class Session:
    """One signed-in browser: its cookies and CSRF token."""

    def __init__(self, port: int, username: str):
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: list | None = None, *, htmx: bool = False
    ) -> tuple[int, dict, bytes]:
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        if htmx:
            headers["HX-Request"] = "true"
        data = urlencode(body or [], doseq=True).encode() if method == "POST" else None
        for attempt in (1, 2):
            connection = _connection(self.port)
            reused = connection.sock is not None
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                _forget_connection()
                # The server closed an idle keep-alive connection as the request went out;
                # browsers send it again on a new connection, once. Anything else is an error.
                if not reused or attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                _forget_connection()
                raise
        if response.getheader("Connection", "").lower() == "close":
            _forget_connection()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                # A browser shows a flash message on the page it is redirected to; the bench
                # does not follow redirects, so it drops the message instead of piling it up.
                if name != "messages":
                    self.cookies[name] = morsel.value
        return response.status, dict(response.headers), content

    def login(self) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        token = CSRF_INPUT.search(page.decode())
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status}")
        body = [
            ("username", self.username),
            ("password", common.PASSWORD),
            ("csrfmiddlewaretoken", token.group(1)),
        ]
        status, headers, _ = self.request("POST", "/accounts/login/", body)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {self.username} answered {status}")
        if headers.get("Location", "").endswith("/accounts/two-factor/verify/"):
            self._second_factor()

    def _second_factor(self) -> None:
        """An auditor's TOTP code, computed from the bench's known key."""
        from django_otp.oath import totp

        status, _, page = self.request("GET", "/accounts/two-factor/verify/")
        token = CSRF_INPUT.search(page.decode())
        if status != 200 or token is None:
            raise RuntimeError(f"two-factor page answered {status}")
        code = f"{totp(bytes.fromhex(common.TOTP_KEY_HEX)):06d}"
        body = [("token", code), ("csrfmiddlewaretoken", token.group(1))]
        status, _, _ = self.request("POST", "/accounts/two-factor/verify/", body)
        if status != 302:
            raise RuntimeError(f"two-factor code of {self.username} answered {status}")


# --- What each endpoint sends -------------------------------------------------------------


@dataclass
class Call:
    """One request to make: who, how, and the status that means success."""

    session: Session
    method: str
    path: str
    expect: int
    body: list | None = None
    htmx: bool = False


@dataclass
class Endpoint:
    name: str
    make: Callable[[int, random.Random], Call]  # (client number, rng) -> the next call
    note: str = ""


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # app, database, client seconds
    connections: int = 0  # database sessions opened (new PostgreSQL backends)

    def add_error(self, message: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 3:
            self.first_errors.append(message)

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def connections_per_request(self) -> float:
        return self.connections / len(self.latencies) if self.latencies else float("nan")

    def cpu_ms(self, index: int) -> float:
        """CPU milliseconds per successful request (0 app, 1 database, 2 client)."""
        return self.cpu[index] * 1000 / len(self.latencies) if self.latencies else float("nan")


class Fixtures:
    """Ids and request bodies read from the bench database before the server starts."""

    def __init__(self, rng: random.Random, concurrency: int):
        from django.db import connection
        from django.utils import timezone

        from patients.models import Patient, Referral
        from reviews.assessment import level_recommendations
        from reviews.models import ReasonCode

        today = timezone.localdate()
        physicians = [common.physician_username(n) for n in range(1, concurrency + 1)]
        self.physicians = physicians
        self.radiologists = [common.radiologist_username(n) for n in range(1, 6)]
        self.staff = [common.staff_username(n) for n in range(1, common.STAFF + 1)]
        self.auditors = [common.auditor_username(n) for n in range(1, 9)]
        self.intake: dict[str, list[tuple[int, dict]]] = {}
        for username in physicians:
            patients = list(
                Patient.objects.filter(created_by__username=username).order_by("id")[:60]
            )
            if not patients:
                raise SystemExit(f"No patients for {username}: run bench/seed.py first.")
            self.intake[username] = [
                (
                    patient.pk,
                    common.generate_case(
                        rng, today=today, date_of_birth=patient.date_of_birth, sex=patient.sex
                    ),
                )
                for patient in patients
            ]
        waiting = Referral.objects.filter(status__in=["submitted", "under_review"])
        self.review_ids = list(waiting.order_by("?").values_list("id", flat=True)[:500])
        decided = Referral.objects.filter(status__in=["accepted", "declined"])
        self.summary_ids = list(decided.order_by("?").values_list("id", flat=True)[:500])
        self.floor_ids = list(Referral.objects.order_by("?").values_list("id", flat=True)[:500])
        information = list(ReasonCode.objects.filter(kind=ReasonCode.Kind.INFORMATION, active=True))
        self.decisions: list[tuple[int, list]] = []
        candidates = (
            Referral.objects.filter(status="submitted", assigned_radiologist__isnull=True)
            .select_related("latest_evaluation")
            .order_by("?")[:5000]
        )
        for referral in candidates:
            recommendations = level_recommendations(referral.latest_evaluation.result)
            eligible = [level for level, rec in recommendations.items() if rec == "eligible"]
            if eligible:
                body = [("outcome", "accept"), *(("levels_to_treat", lv) for lv in eligible)]
            else:
                body = [
                    ("outcome", "request_information"),
                    ("information_reason", str(rng.choice(information).pk)),
                    ("comment", "Please send the latest MRI report."),
                ]
            body.append(("expected_version", str(referral.version)))
            self.decisions.append((referral.pk, body))
        self._decisions = iter(self.decisions)
        self._lock = threading.Lock()
        self.from_date = (today - timedelta(days=20)).isoformat()
        # The audit trail's filters: a patient, a user, a day (each of the past year).
        self.audit_patients = [
            str(pk) for pk in Patient.objects.order_by("?").values_list("id", flat=True)[:500]
        ]
        self.audit_users = self.physicians + self.radiologists + self.staff
        self.audit_days = [(today - timedelta(days=days)).isoformat() for days in range(1, 366)]
        connection.close()

    def next_decision(self) -> tuple[int, list]:
        with self._lock:
            try:
                return next(self._decisions)
            except StopIteration:
                raise RuntimeError("no undecided referral left for the decision endpoint") from None


def endpoints(fixtures: Fixtures, sessions: dict[str, Session]) -> dict[str, Endpoint]:
    """The pages of the benchmark, each as a function giving client i its next request."""

    def physician(i: int) -> Session:
        return sessions[fixtures.physicians[i % len(fixtures.physicians)]]

    def radiologist(i: int) -> Session:
        return sessions[fixtures.radiologists[i % len(fixtures.radiologists)]]

    def staff(i: int) -> Session:
        return sessions[fixtures.staff[i % len(fixtures.staff)]]

    def intake(i: int, rng: random.Random) -> tuple[Session, int, dict]:
        session = physician(i)
        patient_id, case = rng.choice(fixtures.intake[session.username])
        return session, patient_id, case

    def floor(i, rng):
        path = f"/bench/floor/{rng.choice(fixtures.floor_ids)}/"
        return Call(physician(i), "GET", path, 200)

    def floor_page(i, rng):
        path = f"/bench/floor-page/{rng.choice(fixtures.floor_ids)}/"
        return Call(physician(i), "GET", path, 200)

    def live(i, rng):
        session, patient_id, case = intake(i, rng)
        path = f"/patients/{patient_id}/referrals/new/evaluate/"
        return Call(session, "POST", path, 200, common.intake_form_data(case), htmx=True)

    def submit(i, rng):
        session, patient_id, case = intake(i, rng)
        body = common.intake_form_data(case, action="submit")
        return Call(session, "POST", f"/patients/{patient_id}/referrals/new/", 302, body)

    def physician_list(i, rng):
        page = rng.choice([1, 1, 1, 2, 3])
        return Call(physician(i), "GET", "/referrals/" + (f"?page={page}" if page > 1 else ""), 200)

    def worklist(i, rng):
        return Call(radiologist(i), "GET", "/reviews/", 200)

    filters = [
        [("recommendation", "eligible")],
        [("level", "L1")],
        [("status", "under_review"), ("assigned_to_me", "on")],
        [("search", "Rossi")],
        [("submitted_from", fixtures.from_date), ("recommendation", "incomplete")],
        [("status", "pending_countersignature")],
    ]

    def worklist_filtered(i, rng):
        return Call(radiologist(i), "POST", "/reviews/", 200, rng.choice(filters), htmx=True)

    def review_page(i, rng):
        path = f"/reviews/referrals/{rng.choice(fixtures.review_ids)}/"
        return Call(radiologist(i), "GET", path, 200)

    def decide(i, rng):
        referral_id, body = fixtures.next_decision()
        path = f"/reviews/referrals/{referral_id}/decide"
        return Call(radiologist(i), "POST", path, 302, body)

    def summary(i, rng):
        path = f"/referrals/{rng.choice(fixtures.summary_ids)}/summary/"
        return Call(staff(i), "GET", path, 200)

    def print_queue(i, rng):
        query = rng.choice(["", "", "?status=printed", "?status=all"])
        return Call(staff(i), "GET", "/summaries/" + query, 200)

    def follow_ups_due(i, rng):
        return Call(staff(i), "GET", "/outcomes/follow-ups/due/", 200)

    def dashboard(i, rng):
        query = rng.choice(["", "", "?etiology=osteoporosis", "?level=L1"])
        return Call(radiologist(i), "GET", "/outcomes/dashboard/" + query, 200)

    def auditor(i: int) -> Session:
        return sessions[fixtures.auditors[i % len(fixtures.auditors)]]

    def audit_patient(i, rng):
        path = f"/audit/?patient={rng.choice(fixtures.audit_patients)}"
        return Call(auditor(i), "GET", path, 200)

    def audit_user(i, rng):
        path = f"/audit/?user={rng.choice(fixtures.audit_users)}"
        return Call(auditor(i), "GET", path, 200)

    def audit_date(i, rng):
        day = rng.choice(fixtures.audit_days)
        return Call(auditor(i), "GET", f"/audit/?date_from={day}&date_to={day}", 200)

    table = [
        Endpoint("floor", floor, "GET, one indexed SELECT"),
        Endpoint("floor page", floor_page, "GET, the floor's SELECT in the layout, role checked"),
        Endpoint("live evaluation", live, "POST htmx, intake → engine → panel"),
        Endpoint("referral submit", submit, "POST, new referral submitted"),
        Endpoint("physician list", physician_list, "GET My referrals"),
        Endpoint("worklist", worklist, "GET, unfiltered"),
        Endpoint("worklist filtered", worklist_filtered, "POST htmx, filters"),
        Endpoint("review page", review_page, "GET"),
        Endpoint("review decision", decide, "POST, accept / request info"),
        Endpoint("summary print page", summary, "GET, clinic staff"),
        Endpoint("print queue", print_queue, "GET, clinic staff, filtered now and then"),
        Endpoint("follow-ups due", follow_ups_due, "GET, clinic staff"),
        Endpoint("outcomes dashboard", dashboard, "GET, radiologist, filtered now and then"),
        Endpoint("audit by patient", audit_patient, "GET, auditor, ?patient="),
        Endpoint("audit by user", audit_user, "GET, auditor, ?user="),
        Endpoint("audit by date", audit_date, "GET, auditor, one day"),
    ]
    return {endpoint.name: endpoint for endpoint in table}


# --- CPU accounting -----------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds spent by the gunicorn workers and by their database backends.

    On a shared machine wall-clock figures move with everyone else's load; CPU time per
    request moves much less, so it is printed next to them. Only the backends of this run's
    server count (its connections carry `application_name`): another session on the same
    database (someone else's bench, a profile, psql) or an autovacuum worker would otherwise
    land in this run's `db ms`.
    """

    def __init__(self, server_pid: int, application_name: str):
        self.server_pid = server_pid
        self.application_name = application_name

    def _workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def _backends(self) -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = %s",
                [self.application_name],
            )
            return [row[0] for row in cursor.fetchall()]

    def _sessions(self) -> int:
        """Sessions ever opened on the bench database. A backend that starts and ends between
        two snapshots escapes the CPU figures: this count shows it was there."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            return int(cursor.fetchone()[0])

    def snapshot(self) -> tuple[dict[int, float], dict[int, float], float, int]:
        return (
            {pid: _cpu_seconds(pid) for pid in self._workers()},
            {pid: _cpu_seconds(pid) for pid in self._backends()},
            time.process_time(),
            self._sessions(),
        )

    @staticmethod
    def opened(before: tuple, after: tuple) -> int:
        """Database sessions opened between two snapshots."""
        return max(0, after[3] - before[3])

    @staticmethod
    def spent(before: tuple, after: tuple) -> tuple[float, float, float]:
        """(app, database, client) CPU seconds between two snapshots."""

        def delta(old: dict[int, float], new: dict[int, float]) -> float:
            return sum(max(0.0, value - old.get(pid, 0.0)) for pid, value in new.items())

        return delta(before[0], after[0]), delta(before[1], after[1]), after[2] - before[2]


# --- Driving ------------------------------------------------------------------------------


def run_phase(
    pick: Callable[[int, random.Random], tuple[str, Call]],
    *,
    seconds: float,
    concurrency: int,
    seed: int,
    meter: CpuMeter | None = None,
    think: float = 0.0,
) -> dict[str, Stats]:
    """`concurrency` clients for `seconds`; with `think`, each waits between `think` and twice
    that (uniformly) after an answer, and starts at a random moment of its first `think`, so
    that the users do not click in step — people are not synchronised."""
    stats: dict[str, Stats] = {}
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        local: dict[str, Stats] = {}
        start.wait()
        if think:
            time.sleep(rng.uniform(0, think))
        while time.perf_counter() < deadline[0]:
            name, call = pick(number, rng)
            entry = local.setdefault(name, Stats())
            began = time.perf_counter()
            try:
                status, headers, _ = call.session.request(
                    call.method, call.path, call.body, htmx=call.htmx
                )
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                entry.add_error(f"{call.method} {call.path}: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - began
            location = headers.get("Location", "")
            if status != call.expect or "/accounts/login/" in location:
                entry.add_error(f"{call.method} {call.path}: HTTP {status} {location}".strip())
            else:
                entry.latencies.append(elapsed)
            if think:
                time.sleep(rng.uniform(think, 2 * think))
        _forget_connection()
        with lock:
            for name, entry in local.items():
                total = stats.setdefault(name, Stats())
                total.latencies += entry.latencies
                total.errors += entry.errors
                total.first_errors += entry.first_errors[: 3 - len(total.first_errors)]

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    before = meter.snapshot() if meter else None
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.perf_counter() - began
    after = meter.snapshot() if meter else None
    cpu = CpuMeter.spent(before, after) if meter else (0.0, 0.0, 0.0)
    opened = CpuMeter.opened(before, after) if meter else 0
    for entry in stats.values():
        entry.seconds = elapsed
        entry.cpu = cpu  # one endpoint per phase when measured alone
        entry.connections = opened
    return stats


def alone(endpoint: Endpoint):
    def pick(number, rng):
        return endpoint.name, endpoint.make(number, rng)

    return pick


def mixed(table: dict[str, Endpoint]):
    names = list(MIX_WEIGHTS)
    weights = list(MIX_WEIGHTS.values())

    def pick(number, rng):
        name = rng.choices(names, weights=weights)[0]
        return name, table[name].make(number, rng)

    return pick


# --- The server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def collect_static_if_stale(environ: dict[str, str]) -> None:
    """Production serves hashed static names from a manifest: build it when files changed."""
    manifest = common.REPO / "staticfiles" / "staticfiles.json"
    sources = [
        path
        for folder in common.REPO.glob("*/static")
        for path in folder.rglob("*")
        if path.is_file()
    ] + [path for path in (common.REPO / "static").rglob("*") if path.is_file()]
    newest = max((path.stat().st_mtime for path in sources), default=0)
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return
    print("Collecting static files (production's manifest storage)…", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=common.REPO,
        env=environ,
        check=True,
    )


def with_application_name(url: str, name: str) -> str:
    """The database URL with `application_name` (the server's backends, for `CpuMeter`)."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def start_server(environ: dict, port: int, *, workers: int, threads: int, log: Path):
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "vpselect.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        "--keep-alive=75",
        "--backlog=64",
        f"--error-logfile={log}",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=common.REPO, env=environ, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited at start; see {log}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer /healthz within 30 s; see {log}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def purge_broker() -> None:
    """Drop the notification tasks the run queued: no worker consumes them in the bench."""
    from vpselect.celery import app

    try:
        app.control.purge()
    except Exception as exc:  # noqa: BLE001 - a report, not a failure of the bench
        print(f"(could not purge the bench broker queue: {exc})")


# --- Report -------------------------------------------------------------------------------


def rows_of(
    stats: dict[str, Stats], names: list[str], floor: Stats | None, *, paced: bool = False
) -> list[dict]:
    """One row per endpoint; with the floor, its ratio and the targets it missed.

    Latency targets are judged at a person's pace (`paced`); back to back, the ratio to the
    floor is the target, and the p95 is printed as what saturation costs.
    """
    rows = []
    for name in names:
        entry = stats.get(name)
        if entry is None:
            continue
        target = P95_TARGETS_MS.get(name)
        p95 = entry.percentile(0.95)
        row = {
            "endpoint": name,
            "requests": len(entry.latencies),
            "rps": round(entry.rate, 1),
            "p50_ms": round(entry.percentile(0.50), 1),
            "p95_ms": round(p95, 1),
            "p99_ms": round(entry.percentile(0.99), 1),
            "errors": entry.errors,
            "first_errors": entry.first_errors,
            "p95_target_ms": target,
            "missed": [],
        }
        if paced:
            row["think_ms"] = round(PACE_THINK_SECONDS.get(name, PAGE_THINK_SECONDS) * 1000)
            if target is not None and not p95 <= target:
                row["missed"].append(f"p95 > {target:g} ms")
            if any(entry.cpu):  # measured (--paced-only): CPU per request, as alone
                row["app_cpu_ms"] = round(entry.cpu_ms(0), 2)
                row["db_cpu_ms"] = round(entry.cpu_ms(1), 2)
        if floor is not None:
            row["floor_ratio"] = round(entry.rate / floor.rate, 2) if floor.rate else 0.0
            row["app_cpu_ms"] = round(entry.cpu_ms(0), 2)
            row["db_cpu_ms"] = round(entry.cpu_ms(1), 2)
            row["client_cpu_ms"] = round(entry.cpu_ms(2), 2)
            row["db_connections_per_request"] = round(entry.connections_per_request(), 3)
            if name not in YARDSTICKS and row["floor_ratio"] < FLOOR_RATIO_TARGET:
                row["missed"].append(f"< {FLOOR_RATIO_TARGET:.0%} of floor")
        rows.append(row)
    return rows


# Persistent connections serve every request: a phase opening more new database sessions than
# this per request opens one for some of its requests (a fork and an authentication each).
CONNECTION_CHURN_PER_REQUEST = 0.02


def connection_churn(rows: list[dict]) -> dict[str, float]:
    """{endpoint: database sessions opened per request} of those over the threshold."""
    return {
        row["endpoint"]: row["db_connections_per_request"]
        for row in rows
        if row.get("db_connections_per_request", 0) > CONNECTION_CHURN_PER_REQUEST
    }


def page_budget(rows: list[dict]) -> dict | None:
    """What a page may spend beyond the floor page and still reach FLOOR_RATIO_TARGET.

    At saturation 1 / throughput is the server's time per request (every core, the database
    and the kernel included). A page at the target has 1 / (target × floor) of it; the floor
    page (role check and layout) uses 1 / floor page; the rest is the budget of what a page
    does on top. Each page's own figure, 1 / page − 1 / floor page, is set beside it. None
    without both yardsticks.
    """
    by_name = {row["endpoint"]: row for row in rows}
    floor, floor_page = by_name.get("floor"), by_name.get("floor page")
    if not floor or not floor_page or not floor["rps"] or not floor_page["rps"]:
        return None
    floor_page_ms = 1000 / floor_page["rps"]
    return {
        "floor_ms": round(1000 / floor["rps"], 2),
        "floor_page_ms": round(floor_page_ms, 2),
        "budget_ms": round(1000 / (FLOOR_RATIO_TARGET * floor["rps"]) - floor_page_ms, 2),
        "pages_ms": {
            row["endpoint"]: round(1000 / row["rps"] - floor_page_ms, 2)
            for row in rows
            if row["endpoint"] not in YARDSTICKS and row["rps"]
        },
    }


def print_table(title: str, rows: list[dict], *, alone: bool, paced: bool = False) -> None:
    print(f"\n{title}")
    header = f"{'endpoint':<20} {'req':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    header += f" {'errors':>6}"
    if alone:
        header += f" {'÷ floor':>8} {'app ms':>7} {'db ms':>6}  target"
    if paced:
        header += f" {'think':>6} {'p95 target':>11}  verdict"
    print(header)
    print("-" * len(header))
    for row in rows:
        line = (
            f"{row['endpoint']:<20} {row['requests']:>6} {row['rps']:>7.1f} "
            f"{row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} {row['p99_ms']:>7.1f} "
            f"{row['errors']:>6}"
        )
        if alone:
            verdict = "MISSED: " + ", ".join(row["missed"]) if row["missed"] else "ok"
            line += (
                f" {row['floor_ratio']:>7.0%}  {row['app_cpu_ms']:>6.1f} {row['db_cpu_ms']:>6.1f}"
                f"  {verdict}"
            )
        if paced:
            verdict = "MISSED" if row["missed"] else "ok"
            target = row["p95_target_ms"]
            target_text = f"{target:g} ms" if target is not None else "-"
            line += f" {row['think_ms']:>4} ms {target_text:>11}  {verdict}"
        print(line)
        for message in row["first_errors"]:
            print(f"    ! {message}")


def combined(entries: list[Stats]) -> Stats:
    """Phases of one endpoint (the floor before and after) as one."""
    return Stats(
        latencies=[x for entry in entries for x in entry.latencies],
        errors=sum(entry.errors for entry in entries),
        first_errors=[m for entry in entries for m in entry.first_errors][:3],
        seconds=sum(entry.seconds for entry in entries),
        cpu=tuple(sum(entry.cpu[i] for entry in entries) for i in range(3)),
        connections=sum(entry.connections for entry in entries),
    )


# --- Main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per endpoint alone (6)")
    parser.add_argument("--mix-seconds", type=float, default=15.0, help="the mix (15)")
    parser.add_argument("--pace-seconds", type=float, default=5.0, help="per target, paced (5)")
    parser.add_argument("--warmup", type=float, default=0.3, help="per phase, not counted (0.3)")
    parser.add_argument("--concurrency", type=int, default=8, help="clients (8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per process (4)")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds, server up (300)")
    parser.add_argument("--only", action="append", default=[], help="endpoint names to run")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target too")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label", default="", help="a name for this run in the JSON report")
    parser.add_argument(
        "--paced-only",
        action="store_true",
        help="only the paced phase, for every page (no writes): the growth bench (bench/scale.py)",
    )
    parser.add_argument(
        "--pace-users", type=int, help="users in the paced phase (--concurrency by default)"
    )
    args = parser.parse_args(argv)

    environ = {**os.environ, **common.bench_environ()}
    common.setup_django()
    load_before = os.getloadavg()
    collect_static_if_stale(environ)
    rng = random.Random(args.seed)
    fixtures = Fixtures(rng, args.concurrency)
    if not fixtures.decisions:
        raise SystemExit("No submitted referral to decide on: run bench/seed.py first.")

    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "bench-gunicorn.log"
    port = free_port()
    began = time.monotonic()
    application_name = f"vpselect-bench-{port}"
    server_environ = {
        **environ,
        "DATABASE_URL": with_application_name(environ["DATABASE_URL"], application_name),
    }
    server = start_server(server_environ, port, workers=args.workers, threads=args.threads, log=log)
    try:
        if time.monotonic() - began > args.budget / 2:
            raise SystemExit("gunicorn took over half of --budget to start.")
        meter = CpuMeter(server.pid, application_name)
        sessions = {
            username: Session(port, username)
            for username in fixtures.physicians + fixtures.radiologists + fixtures.staff
        }
        sessions.update(
            {
                username: Session(port, username)
                for username in fixtures.auditors
                if args.paced_only
                or not args.only
                or any(name.startswith("audit") for name in args.only)
            }
        )
        for session in sessions.values():
            session.login()
        table = endpoints(fixtures, sessions)
        names = [name for name in table if not args.only or name in args.only or name in YARDSTICKS]
        paced_names = [name for name in names if name in P95_TARGETS_MS]
        if args.paced_only:
            names = [n for n in names if n not in YARDSTICKS and n not in WRITES]
            if not args.only:
                names = [n for n in names if n in GROWTH_PAGES]
            paced_names = names
        planned = (
            0
            if args.paced_only
            else (len(names) + 1) * (args.seconds + args.warmup) + args.mix_seconds
        ) + len(paced_names) * (args.pace_seconds + args.warmup)
        pace_users = args.pace_users or args.concurrency
        if time.monotonic() - began + planned > args.budget:
            raise SystemExit(f"The phases would take {planned:.0f} s more, over --budget.")
        phases: dict[str, list[Stats]] = {}
        for index, name in enumerate([] if args.paced_only else [*names, "floor"]):
            pick = alone(table[name])
            run_phase(pick, seconds=args.warmup, concurrency=args.concurrency, seed=index)
            stats = run_phase(
                pick, seconds=args.seconds, concurrency=args.concurrency, seed=index, meter=meter
            )
            entry = stats.get(name, Stats(seconds=args.seconds))
            phases.setdefault(name, []).append(entry)
            print(f"  {name:<20} {entry.rate:7.1f} req/s", flush=True)
        mix_stats: dict[str, Stats] = {}
        if args.mix_seconds > 0 and not args.only and not args.paced_only:
            mix_stats = run_phase(
                mixed(table),
                seconds=args.mix_seconds,
                concurrency=args.concurrency,
                seed=99,
                meter=meter,
            )
        paced_stats: dict[str, Stats] = {}
        for index, name in enumerate(paced_names if args.pace_seconds > 0 else []):
            think = PACE_THINK_SECONDS.get(name, PAGE_THINK_SECONDS)
            if args.paced_only:  # warm this page's caches and plans, not counted
                run_phase(alone(table[name]), seconds=args.warmup, concurrency=2, seed=index)
            stats = run_phase(
                alone(table[name]),
                seconds=args.pace_seconds,
                concurrency=pace_users,
                seed=200 + index,
                think=think,
                meter=meter if args.paced_only else None,
            )
            paced_stats[name] = stats.get(name, Stats(seconds=args.pace_seconds))
            rate = paced_stats[name].rate
            print(f"  {name:<20} {rate:7.1f} req/s at a person's pace", flush=True)
        elapsed = time.monotonic() - began
    finally:
        stop_server(server)
        purge_broker()
    load_after = os.getloadavg()

    alone_stats = {name: combined(entries) for name, entries in phases.items()}
    floor = alone_stats.get("floor", Stats())
    alone_rows = rows_of(alone_stats, list(alone_stats), floor)
    budget = page_budget(alone_rows)
    mix_rows = rows_of(mix_stats, list(MIX_WEIGHTS), None)
    paced_rows = rows_of(paced_stats, list(paced_stats), None, paced=True)
    mix_requests = sum(len(entry.latencies) for entry in mix_stats.values())
    mix_cpu = next(iter(mix_stats.values())).cpu if mix_stats else (0.0, 0.0, 0.0)
    database = common.database_name(common.database_url())
    print(
        f"\nVPSelect under gunicorn ({args.workers} processes × {args.threads} threads, "
        f"gthread) on {HOST}, {args.concurrency} clients, PostgreSQL {database}, "
        f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; {elapsed:.0f} s"
    )
    print_table(
        f"Each endpoint alone, {args.seconds:g} s each (the floor: before and after); "
        "app ms / db ms: CPU per request of gunicorn / PostgreSQL",
        alone_rows,
        alone=True,
    )
    churn = connection_churn(alone_rows)
    if churn:
        print(
            "\nNew database sessions per request (each a PostgreSQL backend started, beyond "
            "the CPU figures): " + ", ".join(f"{name} {per:.2f}" for name, per in churn.items())
        )
    if budget:
        print(
            f"\nServer time per request at saturation (1 / throughput): floor "
            f"{budget['floor_ms']:.2f} ms, floor page {budget['floor_page_ms']:.2f} ms. A page at "
            f"{FLOOR_RATIO_TARGET:.0%} of the floor may spend {budget['budget_ms']:.2f} ms beyond "
            "the floor page; each spends:"
        )
        print("  " + " · ".join(f"{name} {ms:.2f}" for name, ms in budget["pages_ms"].items()))
    if mix_rows:
        total = mix_requests / next(iter(mix_stats.values())).seconds
        print_table(
            f"The mix, {args.mix_seconds:g} s, all endpoints at once: {total:.1f} req/s in all, "
            f"{mix_cpu[0] * 1000 / max(mix_requests, 1):.1f} app ms and "
            f"{mix_cpu[1] * 1000 / max(mix_requests, 1):.1f} db ms of CPU per request",
            mix_rows,
            alone=False,
        )
    if paced_rows:
        print_table(
            f"At a person's pace, {args.pace_seconds:g} s each: {pace_users} users, each "
            "sending its next request 1–2 × `think` after the last answer (think: the live "
            "panel's debounce, or a click), at random so that they are not in step",
            paced_rows,
            alone=False,
            paced=True,
        )
    errors = sum(row["errors"] for row in alone_rows + mix_rows + paced_rows)
    missed = [f"{row['endpoint']} (throughput)" for row in alone_rows if row["missed"]]
    missed += [f"{row['endpoint']} (p95)" for row in paced_rows if row["missed"]]
    report = {
        "label": args.label,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "seconds": round(elapsed, 1),
        "alone": alone_rows,
        "page_budget": budget,
        "mix": mix_rows,
        "paced": paced_rows,
    }
    name = f"bench-load{'-' + args.label if args.label else ''}.json"
    (ARTIFACTS / name).write_text(json.dumps(report, indent=2))
    saturated = [
        f"{row['endpoint']} {row['p95_ms']:g} ms"
        for row in alone_rows
        if row["p95_target_ms"] is not None and not row["p95_ms"] <= row["p95_target_ms"]
    ]
    if saturated:
        print(
            "\nBack to back (saturation, where latency is concurrency ÷ throughput), p95 over "
            f"the latency targets: {', '.join(saturated)}."
        )
    print(f"\n{errors} errors; targets missed: {', '.join(missed) or 'none'}.")
    if errors:
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
