"""In-process probes of the bench database for bench/scale.py: queries per page, and the CSV
exports' first byte and peak memory.

    .venv/bin/python bench/export_probe.py --queries [--json]
    .venv/bin/python bench/export_probe.py --export audit|outcomes [--json]

Requests go through Django's test client with the bench settings (the whole middleware
stack). An export runs alone in its process, so the peak resident memory printed (the
process's ru_maxrss: Django, the app, and the export) is that export's.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402 - after the path setup above

QUERY_REQUESTS = 8
EXPORTS = {"audit": "/audit/export.csv", "outcomes": "/outcomes/dashboard.csv"}
EXPORT_USERS = {"audit": common.auditor_username(1), "outcomes": common.radiologist_username(1)}


def _client(username: str):
    """A test client signed in as `username` (an auditor: with their verified device)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(SERVER_NAME="127.0.0.1")
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def queries_per_page() -> dict[str, int]:
    """The most queries any of a few requests of each growth page made."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import load

    fixtures = load.Fixtures(random.Random(7), 8)
    names = fixtures.physicians + fixtures.radiologists + fixtures.staff + fixtures.auditors
    sessions = {name: load.Session(0, name) for name in names}
    table = load.endpoints(fixtures, sessions)
    clients: dict = {}
    most: dict[str, int] = {}
    for name in load.GROWTH_PAGES:
        rng = random.Random(11)
        for number in range(QUERY_REQUESTS):
            call = table[name].make(number, rng)
            client = clients.get(call.session.username)
            if client is None:
                client = clients[call.session.username] = _client(call.session.username)
            headers = {"HX-Request": "true"} if call.htmx else {}
            with CaptureQueriesContext(connection) as queries:
                if call.method == "GET":
                    response = client.get(call.path, headers=headers)
                else:
                    response = client.post(
                        call.path,
                        urlencode(call.body or [], doseq=True),
                        content_type="application/x-www-form-urlencoded",
                        headers=headers,
                    )
            if response.status_code != call.expect:
                raise SystemExit(f"{call.method} {call.path} answered {response.status_code}")
            most[name] = max(most.get(name, 0), len(queries))
    return most


def export(name: str) -> dict:
    client = _client(EXPORT_USERS[name])
    began = time.perf_counter()
    response = client.get(EXPORTS[name])
    if response.status_code != 200:
        raise SystemExit(f"{EXPORTS[name]} answered {response.status_code}")
    first_byte = None
    size = lines = 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        if first_byte is None:
            first_byte = time.perf_counter() - began
        size += len(chunk)
        lines += chunk.count(b"\n")
    return {
        "streaming": response.streaming,
        "rows": lines - 1,
        "megabytes": round(size / 1e6, 1),
        "first_byte_s": round(first_byte or 0.0, 3),
        "seconds": round(time.perf_counter() - began, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def row_counts() -> dict[str, int]:
    from audit.models import AuditEvent
    from outcomes.models import FollowUp, Procedure
    from patients.models import Patient, Referral

    return {
        model._meta.label: model.objects.count()
        for model in (Patient, Referral, Procedure, FollowUp, AuditEvent)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--export", choices=sorted(EXPORTS))
    parser.add_argument("--json", action="store_true", help="all probes, one JSON line last")
    args = parser.parse_args(argv)
    if args.json and not (args.queries or args.export):
        # Each export in a process of its own: its peak memory is its own.
        exports = {}
        for name in EXPORTS:
            process = subprocess.run(  # noqa: S603 - this script, fixed arguments
                [sys.executable, __file__, "--export", name],
                capture_output=True,
                text=True,
                check=True,
            )
            exports[name] = json.loads(process.stdout.splitlines()[-1])
        common.setup_django()
        result = {"queries": queries_per_page(), "exports": exports, "rows": row_counts()}
        print(json.dumps(result))
        return 0
    common.setup_django()
    if args.queries:
        print(json.dumps(queries_per_page()))
    if args.export:
        print(json.dumps(export(args.export)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
