#!/usr/bin/env bash
# The tests run against the real PostgreSQL and Redis; say how to start them when absent.
set -uo pipefail
db_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/vpselect}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/1}
exec .venv/bin/python - "$db_url" "$redis_url" <<'PY'
import sys
from urllib.parse import urlparse

import psycopg2
import redis

db_url, redis_url = sys.argv[1], sys.argv[2]
failed = []
u = urlparse(db_url)
try:
    psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                     password=u.password, dbname="postgres", connect_timeout=3).close()
except Exception as exc:
    failed.append(f"PostgreSQL at {u.hostname}:{u.port or 5432} is not reachable ({exc}).")
try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
except Exception as exc:
    failed.append(f"Redis at {redis_url} is not reachable ({exc}).")
if failed:
    print("\n".join(failed), file=sys.stderr)
    print("Start them with `docker compose up -d db redis`, or set DATABASE_URL / REDIS_URL.",
          file=sys.stderr)
    sys.exit(1)
PY
