"""The application's own PostgreSQL role: it reads and writes the data, but cannot rewrite or
wipe the audit trail.

Migrations run as the owner of the tables; the web and worker processes connect as this role,
which owns nothing (so it cannot `ALTER TABLE … DISABLE TRIGGER`), has no `TRUNCATE`
anywhere, and may only `SELECT` and `INSERT` on the audit table. docs/security.md explains
the set-up.
"""

from psycopg2 import sql

AUDIT_TABLE = "audit_auditevent"
DATA_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
AUDIT_PRIVILEGES = ("SELECT", "INSERT")


def _privileges(names) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL(name) for name in names)


def grant_statements(*, role: str, database: str, schema: str = "public") -> list[sql.Composed]:
    """The statements, run by the tables' owner, that give `role` what the app needs."""
    role_id, schema_id = sql.Identifier(role), sql.Identifier(schema)
    return [
        sql.SQL(
            "ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        ).format(role_id),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role_id),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role_id),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema_id, role_id),
        # Start from nothing, so that a TRUNCATE granted by hand does not survive a re-run.
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema_id, role_id),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(
            _privileges(DATA_PRIVILEGES), schema_id, role_id
        ),
        sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(sql.Identifier(AUDIT_TABLE), role_id),
        sql.SQL("GRANT {} ON TABLE {} TO {}").format(
            _privileges(AUDIT_PRIVILEGES), sql.Identifier(AUDIT_TABLE), role_id
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
            schema_id, role_id
        ),
    ]


def role_exists(cursor, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def provision(cursor, *, role: str, database: str, password: str | None = None) -> None:
    """Create the app role when missing (with its password, when given) and grant its rights."""
    if not role_exists(cursor, role):
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    if password:
        cursor.execute(
            sql.SQL("ALTER ROLE {} WITH PASSWORD %s").format(sql.Identifier(role)), [password]
        )
    for statement in grant_statements(role=role, database=database):
        cursor.execute(statement)
