"""EXPLAIN (ANALYZE, BUFFERS) of the queries the growth pages make on the bench database.

    .venv/bin/python bench/explain_pages.py [print queue] [follow-ups] [dashboard]

Each page is requested twice through Django's test client with the bench settings (the
second request is the one explained, so the session is already stamped); every SELECT it
made, except the middleware's (session, user, roles, audit event), is run again under
EXPLAIN (ANALYZE, BUFFERS) and printed with its plan. `docs/explain/` holds the output
before and after the fixes of issue 25.
"""

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402 - after the path setup above

PAGES = (
    ("print queue (ready)", "staff", "/summaries/"),
    ("print queue (printed)", "staff", "/summaries/?status=printed"),
    ("follow-ups due", "staff", "/outcomes/follow-ups/due/"),
    ("outcomes dashboard", "radiologist", "/outcomes/dashboard/"),
    ("outcomes dashboard (filtered)", "radiologist", "/outcomes/dashboard/?level=L1"),
)
# The middleware's queries, the same on every page: not the page's own.
MIDDLEWARE_TABLES = ("django_session", "auth_user", "audit_auditevent", "auth_group", "otp_")
# (the table a query reads FROM; a page's own query may join auth_user)


def main(argv: list[str]) -> int:
    from bench import load
    from bench.export_probe import _client

    load.collect_static_if_stale({**os.environ, **common.bench_environ()})
    common.setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    users = {"staff": common.staff_username(1), "radiologist": common.radiologist_username(1)}
    for title, role, path in PAGES:
        if argv and not any(word in title for word in argv):
            continue
        client = _client(users[role])
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        print(f"\n######## {title}: GET {path} — {len(captured)} queries")
        for query in captured:
            sql = query["sql"]
            table = re.search(r'FROM "(\w+)"', sql)
            if not sql.lstrip().upper().startswith("SELECT") or (
                table is None or table.group(1).startswith(MIDDLEWARE_TABLES)
            ):
                continue
            print(f"\n--- {sql[:600]}{' …' if len(sql) > 600 else ''}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n".join(row[0] for row in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
