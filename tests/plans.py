"""Query plans for tests that show an index applies (PostgreSQL)."""

from django.db import connection


def query_plan(sql: str, params=(), *, without: tuple[str, ...]) -> str:
    """EXPLAIN of `sql` with the planner's `without` methods ("seqscan", "sort", …) switched
    off: on a test's tiny tables PostgreSQL would rather read everything, so a test leaves
    it only the plans that show the index it is about."""
    with connection.cursor() as cursor:
        for method in without:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for method in without:
            cursor.execute(f"RESET enable_{method}")
    return plan
