"""scripts/backup-restore.sh backs up the test database, restores it into a scratch database
and finds every table's rows there; the restored audit trail is still append-only."""

import os
import re
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from audit.models import AuditEvent
from patients.models import Patient
from tests.factories import make_referral

from .server import database_url

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "backup-restore.sh"


def run_script(url: str, scratch: str, backup_dir: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), url, scratch],
        cwd=REPO,
        env={**os.environ, "BACKUP_DIR": str(backup_dir), **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def scratch_exists(scratch: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch])
        return cursor.fetchone() is not None


def test_the_backup_restores_every_row_of_every_table(physician, tmp_path):
    make_referral(physician=physician, submit=True)
    AuditEvent.objects.create(action="view", outcome="success", username="backup-check")
    scratch = f"{connection.settings_dict['NAME']}_restore_{os.getpid()}"

    result = run_script(database_url(connection.settings_dict), scratch, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    table_rows = {
        name: (int(original), int(restored))
        for name, original, restored in re.findall(
            r"^(\w+)\s+(\d+)\s+(\d+)$", result.stdout, re.MULTILINE
        )
    }
    assert table_rows["patients_patient"] == (Patient.objects.count(),) * 2 == (1, 1)
    assert table_rows["patients_referral"] == (1, 1)
    assert table_rows["eligibility_evaluation"] == (1, 1)
    assert table_rows["audit_auditevent"][0] == table_rows["audit_auditevent"][1] >= 1
    assert len(table_rows) > 30
    assert "identical after restore" in result.stdout
    assert list(tmp_path.glob("vpselect-*.dump"))
    assert not scratch_exists(scratch)  # cleaned up


def test_the_restored_audit_trail_still_refuses_deletes(physician, tmp_path):
    AuditEvent.objects.create(action="view", outcome="success", username="backup-check")
    scratch = f"{connection.settings_dict['NAME']}_restore_{os.getpid()}_kept"
    settings = connection.settings_dict
    result = run_script(database_url(settings), scratch, tmp_path, KEEP_SCRATCH="1")
    assert result.returncode == 0, result.stdout + result.stderr
    restored = psycopg2.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=scratch
    )
    try:
        with restored, restored.cursor() as cursor:
            with pytest.raises(psycopg2.Error, match="append-only"):
                cursor.execute("DELETE FROM audit_auditevent")
    finally:
        restored.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
