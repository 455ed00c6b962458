"""The resilience run (issue 25): the clinical journey under light load on the scale-out
topology (scripts/scale-out.sh: nginx, two gunicorn nodes, PgBouncer, two Celery workers, one
beat) while, one after the other,

  (a) web node 1 restarts gracefully (SIGHUP: new gunicorn workers before the old ones go),
  (b) the Celery worker rendering a PDF is killed with kill -9 (main process and its child),
  (c) PgBouncer restarts,
  (d) the beat process restarts.

Targets: 0 failed requests during (a); after (b) the PDF completes on the other worker;
0 lost and 0 duplicated notifications, e-mails and PDFs overall; the outbox (and the PDF
queue) drains within 60 s of each fault. Prints a table; exits 1 on a miss, 2 on bad arguments.

    python bench/resilience.py            the documented bench (4 journeys per client a fault)
    python bench/resilience.py --short    what `make test-all` runs (1 journey per client)

It creates (and drops first) its own database and empties its own Redis database (one that
holds another program's keys only with --flush-redis); traffic goes
to 127.0.0.1 only; a few clients at a person's pace, bounded in count and time.
"""

import argparse
import itertools
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

REDIS_MARKER = "vpselect-resilience:owned"
DRAIN_TARGET_SECONDS = 60.0
DRAIN_GIVE_UP_SECONDS = 180.0
PAUSE_BETWEEN_REQUESTS = 0.3  # a person's pace, and the machine is shared
FAULTS = {
    "a": "web node 1 graceful restart (SIGHUP)",
    "b": "worker killed (kill -9) mid-PDF",
    "c": "PgBouncer restart",
    "d": "beat restart",
}


@dataclass
class Phase:
    fault: str
    requests: int = 0
    failures: list = field(default_factory=list)
    journeys: int = 0
    drain_seconds: float | None = None
    note: str = ""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="one journey per client a fault")
    parser.add_argument("--clients", type=int, default=2, choices=range(1, 5))
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "RESILIENCE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vpselect_resilience"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("RESILIENCE_REDIS_URL", "redis://127.0.0.1:6379/10")
    )
    parser.add_argument(
        "--flush-redis",
        action="store_true",
        help="empty the Redis database even if it holds keys of another program",
    )
    args = parser.parse_args(argv)
    for url in (args.database_url, args.redis_url):
        if urlsplit(url).hostname != "127.0.0.1":
            parser.error(f"only 127.0.0.1 is allowed: {url}")
    return args


def recreate_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


class Topology:
    def __init__(self, env: dict, run_dir: Path):
        self.env = env
        self.run_dir = run_dir

    def script(self, *args, check=True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            ["bash", str(REPO / "scripts" / "scale-out.sh"), *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and done.returncode != 0:
            raise SystemExit(f"scale-out.sh {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done

    def port(self, name: str) -> int:
        for line in (self.run_dir / "ports").read_text().splitlines():
            key, _, value = line.partition("=")
            if key == name:
                return int(value)
        raise KeyError(name)

    def pid(self, name: str) -> int:
        return int((self.run_dir / "pid" / f"{name}.pid").read_text())


class Clinic:
    """The journey: a physician submits a referral, a radiologist claims it and accepts it."""

    def __init__(self, port: int):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from accounts.roles import Role, group_name
        from tests.security.server import PASSWORD

        User = get_user_model()  # noqa: N806

        self.port = port
        self.counter = itertools.count(1)
        self.lock = threading.Lock()
        self.users = {}
        for role, username in ((Role.PHYSICIAN, "res-dr"), (Role.RADIOLOGIST, "res-ir")):
            user = User.objects.create_user(
                username=username,
                password=PASSWORD,
                email=f"{username}@example.org",
                first_name=username.title(),
                last_name="Resilience",
            )
            user.groups.add(Group.objects.get(name=group_name(role)))
            self.users[username] = user
        # The first patient creates the clinic; two clients doing it at once would collide.
        self.new_patient()

    def new_patient(self):
        from tests.factories import make_patient

        with self.lock:
            number = next(self.counter)
        return make_patient(by=self.users["res-dr"], mrn=f"RES{number:06d}")

    def browsers(self):
        from tests.security.server import Browser

        physician, radiologist = Browser(self.port), Browser(self.port)
        physician.log_in("res-dr")
        radiologist.log_in("res-ir")
        return physician, radiologist

    def journey(self, physician, radiologist, phase: Phase) -> None:
        from django.urls import reverse
        from django.utils import timezone

        from patients.models import Referral
        from tests.factories import ELIGIBLE_CASE
        from tests.patients.conftest import case_form_data, shift_case_to

        patient = self.new_patient()
        case = shift_case_to(ELIGIBLE_CASE, timezone.localdate())

        def step(browser, method, path, data=None, expect=(200, 302)):
            phase.requests += 1
            try:
                answer = browser.request(method, path, data)
            except OSError as exc:
                phase.failures.append(f"{method} {path}: {type(exc).__name__}")
                return None
            if answer.status not in expect:
                phase.failures.append(f"{method} {path}: {answer.status}")
                return None
            time.sleep(PAUSE_BETWEEN_REQUESTS)
            return answer

        create = reverse("patients:referral-create", args=[patient.pk])
        if not step(physician, "GET", create):
            return
        if not step(
            physician,
            "POST",
            reverse("patients:referral-live-new", args=[patient.pk]),
            case_form_data(case, action="live"),
        ):
            return
        if not step(physician, "POST", create, case_form_data(case, action="submit"), (302,)):
            return
        referral = Referral.objects.get(patient=patient)
        if not step(radiologist, "GET", reverse("reviews:worklist")):
            return
        if not step(radiologist, "POST", reverse("reviews:claim", args=[referral.pk]), {}, (302,)):
            return
        referral.refresh_from_db()
        decision = {
            "expected_version": referral.version,
            "outcome": "accept",
            "levels_to_treat": ["L2"],
        }
        if not step(
            radiologist, "POST", reverse("reviews:decide", args=[referral.pk]), decision, (302,)
        ):
            return
        step(physician, "GET", reverse("patients:referral-detail", args=[referral.pk]))
        phase.journeys += 1


def backlog() -> tuple[int, int]:
    """Outbox messages not yet sent, current summaries not yet ready."""
    from reviews.models import OutboxMessage
    from summaries.models import SummaryDocument

    return (
        OutboxMessage.objects.filter(sent_at__isnull=True).count(),
        SummaryDocument.objects.filter(superseded_by__isnull=True)
        .exclude(status=SummaryDocument.Status.READY)
        .count(),
    )


def wait_drained(since: float) -> float | None:
    while time.monotonic() - since < DRAIN_GIVE_UP_SECONDS:
        if backlog() == (0, 0):
            return time.monotonic() - since
        time.sleep(0.5)
    return None


def run_phase(clinic: Clinic, sessions, phase: Phase, journeys: int, inject) -> None:
    """Clients walk the journey while `inject` runs the fault; returns after the drain."""
    fault_at: list[float] = []

    def client(physician, radiologist):
        for _ in range(journeys):
            try:
                clinic.journey(physician, radiologist, phase)
            except Exception as exc:  # noqa: BLE001 - counted as a failure, the run goes on
                phase.failures.append(f"journey broke off: {type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=client, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    fault_at.append(time.monotonic())
    phase.note = inject() or ""
    for thread in threads:
        thread.join()
    from django.db import close_old_connections

    close_old_connections()
    phase.drain_seconds = wait_drained(fault_at[0])


def kill_worker_mid_render(topology: Topology, clinic: Clinic, sessions) -> str:
    """Make the next render slow, let a decision queue one, kill -9 the worker rendering it."""
    marker = topology.run_dir / "rendering"
    marker.unlink(missing_ok=True)
    (topology.run_dir / "slow-render").touch()
    deadline = time.monotonic() + 60
    while not marker.exists():
        if time.monotonic() > deadline:
            (topology.run_dir / "slow-render").unlink(missing_ok=True)
            return "no render seen within 60 s"
        time.sleep(0.05)
    (topology.run_dir / "slow-render").unlink(missing_ok=True)
    hostname, document_id = marker.read_text().split()
    worker = hostname.split("@")[0]
    main = topology.pid(worker)
    children = subprocess.run(
        ["pgrep", "-P", str(main)], capture_output=True, text=True
    ).stdout.split()
    for pid in [main, *map(int, children)]:
        os.kill(pid, signal.SIGKILL)
    topology.killed = (worker, int(document_id))
    return f"killed {worker} rendering summary {document_id}"


def audit_totals(run_dir: Path, email_dir: Path) -> dict:
    from django.db.models import Count

    from reviews.models import Notification, OutboxMessage, ReviewDecision
    from summaries.models import SummaryDocument

    emails = 0
    for path in email_dir.glob("*.log"):
        emails += path.read_text(errors="replace").count("\nMessage-ID: ")
        emails += path.read_text(errors="replace").startswith("Message-ID: ")
    emailed = Notification.objects.filter(emailed_at__isnull=False).count()
    to_email = Notification.objects.exclude(recipient__email="").count()
    decisions = ReviewDecision.objects.count()
    documents_per_decision = (
        SummaryDocument.objects.filter(decision__isnull=False)
        .values("decision")
        .annotate(n=Count("id"))
    )
    ready = SummaryDocument.objects.filter(status=SummaryDocument.Status.READY)
    files = [p for p in (run_dir / "media").rglob("*.pdf")]
    rendered = (
        (run_dir / "rendered").read_text().split("\n") if (run_dir / "rendered").exists() else []
    )
    renders = [line for line in rendered if line.strip()]
    return {
        "decisions": decisions,
        "outbox_unsent": OutboxMessage.objects.filter(sent_at__isnull=True).count(),
        "notifications": Notification.objects.count(),
        "notifications_not_emailed": to_email - emailed,
        "emails_written": emails,
        "emails_duplicated": max(0, emails - emailed),
        "decisions_without_pdf": decisions
        - ready.filter(decision__isnull=False).values("decision").distinct().count(),
        "decisions_with_two_pdfs": sum(1 for row in documents_per_decision if row["n"] > 1),
        "pdf_files": len(files),
        "pdfs_ready": ready.count(),
        "renders_completed": len(renders),
        "render_lines": renders,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    journeys = 1 if args.short else 4
    run_dir = Path(tempfile.mkdtemp(prefix="vpselect-resilience-"))
    email_dir = run_dir / "mail"
    email_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings_resilience",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "VPSELECT_PUBLIC_URL": "https://vpselect.example.org",
        "DJANGO_EMAIL_FILE_PATH": str(email_dir),
        "DJANGO_LOG_LEVEL": "WARNING",
        "VPSELECT_SCALE_DIR": str(run_dir),
        "VPSELECT_CELERY_APP": "bench.resilience_worker",
        "PYTHONPATH": str(REPO),
    }
    os.environ.update(env)
    import redis

    broker = redis.Redis.from_url(args.redis_url)
    # Another session's Redis database is never emptied by mistake: only one this run marked.
    if broker.dbsize() and not broker.exists(REDIS_MARKER) and not args.flush_redis:
        print(
            f"{args.redis_url} holds keys of another program: give --redis-url a database of "
            "its own, or --flush-redis to empty it.",
            file=sys.stderr,
        )
        return 2
    recreate_database(args.database_url)
    broker.flushdb()  # tasks left by an earlier run would name ids of the dropped database
    broker.set(REDIS_MARKER, "1")
    topology = Topology(env, run_dir)
    topology.killed = None
    print(f"Run directory {run_dir}; load average {os.getloadavg()[0]:.1f}", flush=True)
    topology.script("release")
    started = topology.script("start")
    print(started.stdout.strip(), flush=True)
    phases: list[Phase] = []
    try:
        import django

        django.setup()
        clinic = Clinic(topology.port("NGINX_PORT"))
        sessions = [clinic.browsers() for _ in range(args.clients)]
        injections = {
            "a": lambda: topology.script("reload-web", "1") and "SIGHUP to web1",
            "b": lambda: kill_worker_mid_render(topology, clinic, sessions),
            "c": lambda: topology.script("restart", "pgbouncer") and "pgbouncer stopped, started",
            "d": lambda: topology.script("restart", "beat") and "beat stopped, started",
        }
        for key, inject in injections.items():
            phase = Phase(fault=f"({key}) {FAULTS[key]}")
            run_phase(clinic, sessions, phase, journeys, inject)
            phases.append(phase)
            print(
                f"{phase.fault}: {phase.journeys} journeys, {len(phase.failures)} failed, "
                f"drained in {phase.drain_seconds}",
                flush=True,
            )
            if key == "b" and topology.killed:
                topology.script("restart", topology.killed[0])
        totals = audit_totals(run_dir, email_dir)
    finally:
        topology.script("stop", check=False)
    return report(phases, totals, topology, load=os.getloadavg()[0])


def report(phases, totals, topology, *, load) -> int:
    misses = []
    print()
    print("| fault | journeys | requests | failed | outbox + PDFs drained after fault | note |")
    print("|---|---:|---:|---:|---:|---|")
    for phase in phases:
        drained = "never" if phase.drain_seconds is None else f"{phase.drain_seconds:.1f} s"
        print(
            f"| {phase.fault} | {phase.journeys} | {phase.requests} | {len(phase.failures)} "
            f"| {drained} | {phase.note} |"
        )
        if phase.drain_seconds is None or phase.drain_seconds > DRAIN_TARGET_SECONDS:
            misses.append(f"{phase.fault}: not drained within {DRAIN_TARGET_SECONDS:.0f} s")
        if phase.fault.startswith("(a)") and phase.failures:
            misses.append(f"(a) failed requests: {phase.failures}")
        elif phase.failures:
            print(f"  failed in {phase.fault}: {phase.failures}")
    killed = topology.killed
    if killed is None:
        misses.append("(b) no worker was killed mid-render")
    else:
        worker, document_id = killed
        finishers = [
            line.split()[0].split("@")[0]
            for line in totals["render_lines"]
            if line.split()[1] == str(document_id)
        ]
        print(f"(b) summary {document_id}: rendered by {finishers or 'nobody'}; killed {worker}")
        if not finishers or worker in finishers:
            misses.append(f"(b) summary {document_id} not completed on the other worker")
    print()
    print("| overall | count |")
    print("|---|---:|")
    for key, value in totals.items():
        if key != "render_lines":
            print(f"| {key} | {value} |")
    for key in (
        "outbox_unsent",
        "notifications_not_emailed",
        "emails_duplicated",
        "decisions_without_pdf",
        "decisions_with_two_pdfs",
    ):
        if totals[key]:
            misses.append(f"{key} = {totals[key]}")
    if totals["pdf_files"] != totals["pdfs_ready"]:
        misses.append(f"{totals['pdf_files']} PDF files for {totals['pdfs_ready']} ready summaries")
    print(f"\nLoad average at the end: {load:.1f}")
    for miss in misses:
        print(f"MISS: {miss}")
    print("All targets met." if not misses else f"{len(misses)} target(s) missed.")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
