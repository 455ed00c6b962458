"""Issue 17, finding 4: the role the application runs as cannot wipe or rewrite the audit trail.

The test provisions a fresh app role (as `manage.py grant_app_role` does) on the test database,
connects as it, and tries what an attacker holding the app's credentials would.
"""

import uuid

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection


def _connect(user: str | None = None):
    settings = connection.settings_dict
    return psycopg2.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=user or settings["USER"],
        password=None if user else settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        connect_timeout=5,
    )


@pytest.fixture
def app_role(django_db_setup, django_db_blocker):
    """A new app role with the rights `grant_app_role` gives, dropped afterwards."""
    role = f"vpselect_app_{uuid.uuid4().hex[:10]}"
    with django_db_blocker.unblock():
        owner = _connect()
        owner.autocommit = True
        from audit.dbroles import provision

        with owner.cursor() as cursor:
            provision(cursor, role=role, database=connection.settings_dict["NAME"])
        try:
            yield role
        finally:
            with owner.cursor() as cursor:
                cursor.execute(f'DROP OWNED BY "{role}"')
                cursor.execute(f'DROP ROLE "{role}"')
            owner.close()


ATTACKS = {
    "disable the trigger": "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "drop the trigger": "DROP TRIGGER audit_event_append_only ON audit_auditevent",
    "truncate": "TRUNCATE audit_auditevent",
    "update": "UPDATE audit_auditevent SET username = 'someone-else'",
    "delete": "DELETE FROM audit_auditevent",
    "truncate patient data": "TRUNCATE patients_patient CASCADE",
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_app_role_cannot_disable_truncate_update_or_delete_the_audit_trail(app_role, attack):
    conn = _connect(app_role)
    try:
        with conn.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(ATTACKS[attack])
    finally:
        conn.rollback()
        conn.close()


def test_the_app_role_reads_and_appends_to_the_trail_and_writes_patient_data(app_role):
    conn = _connect(app_role)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (occurred_at, username, action, outcome, "
                "object_type, object_id, request_id, method, path, details) VALUES "
                "(now(), 'role-test', 'view', 'success', '', '', '', 'GET', '/', '{}') "
                "RETURNING id"
            )
            cursor.execute("SELECT count(*) FROM audit_auditevent")
            cursor.execute("UPDATE patients_patient SET given_name = given_name")
            cursor.execute("DELETE FROM django_session WHERE false")
    finally:
        conn.rollback()  # leave no row in the append-only table
        conn.close()


@pytest.mark.django_db
def test_grant_app_role_refuses_to_run_as_the_app_role():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("grant_app_role", role=connection.settings_dict["USER"])


@pytest.mark.django_db
def test_grant_app_role_creates_the_role_with_only_select_and_insert_on_the_trail(capsys):
    # Inside the test's transaction: the role and its grants are rolled back afterwards.
    role = f"vpselect_app_{uuid.uuid4().hex[:10]}"
    call_command("grant_app_role", role=role)
    assert role in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege, has_table_privilege(%s, 'audit_auditevent', privilege) "
            "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS privilege",
            [role],
        )
        audit = dict(cursor.fetchall())
        cursor.execute("SELECT has_table_privilege(%s, 'patients_patient', 'UPDATE')", [role])
        (patients_update,) = cursor.fetchone()
        cursor.execute("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [role])
        powers = cursor.fetchone()
    assert audit == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
    }
    assert patients_update is True
    assert powers == (False, False)
