"""The resilience run's short version (bench/resilience.py --short) on the scale-out topology
(scripts/scale-out.sh): a web node reloads, a worker is killed mid-PDF, PgBouncer and beat
restart, under the clinical journey; nothing lost, nothing duplicated, drained within 60 s.

Slow (about 3 minutes): `make test-all` runs it, `make test` does not. It needs nginx and
PgBouncer (`bash scripts/system-deps.sh scale`, which `make test-all` runs).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


def resilience_urls() -> tuple[str, str]:
    """Its own database next to the test database; the suite's Redis database."""
    database = connection.settings_dict
    database_url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/"
        f"{database['NAME']}_resilience"
    )
    # The suite's own Redis database: the run empties it, and nothing else of this session
    # uses it meanwhile (tests run one at a time); another session's database is never touched.
    return (
        os.environ.get("RESILIENCE_DATABASE_URL", database_url),
        os.environ.get("RESILIENCE_REDIS_URL", settings.REDIS_URL),
    )


@pytest.mark.slow
def test_short_resilience_run_loses_nothing_doubles_nothing_and_drains_within_a_minute():
    database_url, redis_url = resilience_urls()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    run = subprocess.run(
        [
            sys.executable,
            "bench/resilience.py",
            "--short",
            "--database-url",
            database_url,
            "--redis-url",
            redis_url,
            "--flush-redis",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "All targets met." in run.stdout
    assert "| (a) web node 1 graceful restart (SIGHUP) |" in run.stdout
