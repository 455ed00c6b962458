"""Profile one endpoint of the load benchmark in-process: CPU per request, queries, hot spots.

    .venv/bin/python bench/profile_endpoint.py "worklist" [--requests 200] [--sort cumulative]
    .venv/bin/python bench/profile_endpoint.py --list

Runs the endpoint's requests (the same ones `bench/load.py` sends, from the same fixtures)
through Django's test client with the bench settings — the whole middleware stack, against
the bench database (`bench/seed.py` first) — and prints the CPU time and queries per
request, then the functions where the time went (cProfile). No server, no network.
Requests that change data (submit, decision) change the bench database as load.py does.
"""

import argparse
import cProfile
import pstats
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402 - after the path setup above


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint", nargs="?", default="floor")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--list", action="store_true", help="the endpoint names")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    common.setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import load

    rng = random.Random(args.seed)
    fixtures = load.Fixtures(rng, 8)
    sessions = {
        name: load.Session(0, name)
        for name in fixtures.physicians + fixtures.radiologists + fixtures.staff + fixtures.auditors
    }
    table = load.endpoints(fixtures, sessions)
    if args.list or args.endpoint not in table:
        print("endpoints:", ", ".join(f'"{name}"' for name in table))
        return 0 if args.list else 2
    endpoint = table[args.endpoint]
    users = get_user_model().objects.in_bulk(list(sessions), field_name="username")
    clients: dict[str, Client] = {}

    def send(number: int) -> None:
        call = endpoint.make(number, rng)
        client = clients.get(call.session.username)
        if client is None:
            client = clients[call.session.username] = Client(SERVER_NAME="127.0.0.1")
            client.force_login(users[call.session.username])
            if users[call.session.username].is_superuser:  # the auditors: their second factor
                from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user

                session = client.session
                device = next(devices_for_user(users[call.session.username]))
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
        headers = {"HX-Request": "true"} if call.htmx else {}
        data = urlencode(call.body or [], doseq=True)
        if call.method == "GET":
            response = client.get(call.path, headers=headers)
        else:
            response = client.generic(
                call.method,
                call.path,
                data,
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        if response.status_code != call.expect:
            raise SystemExit(f"{call.method} {call.path} answered {response.status_code}")

    for number in range(args.warmup):
        send(number)
    with CaptureQueriesContext(connection) as queries:
        start_cpu, start = time.process_time(), time.perf_counter()
        for number in range(args.requests):
            send(number)
        cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
    print(
        f"{args.endpoint}: {args.requests} requests in-process, "
        f"{cpu * 1000 / args.requests:.2f} ms CPU and {wall * 1000 / args.requests:.2f} ms wall "
        f"per request, {len(queries) / args.requests:.1f} queries per request"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for number in range(args.requests):
        send(number)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats(args.sort)
    stats.print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
