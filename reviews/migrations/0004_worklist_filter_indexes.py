"""Indexes for two of the worklist's filters (reviews.selectors.worklist_referrals).

- The search: `icontains` on the patient's family and given names and `iexact` on the MRN
  are `UPPER(col) LIKE '%TERM%'` / `UPPER(col) = 'TERM'`, which no B-tree serves: every
  patient was read. A trigram GIN index on the three UPPER() expressions serves all three
  arms of the OR (pg_trgm, a trusted extension: the database owner may create it).
- The level filter: an EXISTS on patients_targetlevel by level; its only indexes start with
  the referral, so every target level was read. (level, referral_id) makes it index-only.

Both are on tables of the patients app but exist for the worklist's queries, and are
declared here as SQL only (no model state): PostgreSQL only, nothing on SQLite.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS patient_search_trgm ON patients_patient USING gin "
    "(UPPER(family_name) gin_trgm_ops, UPPER(given_name) gin_trgm_ops, UPPER(mrn) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS targetlevel_level_referral "
    "ON patients_targetlevel (level, referral_id)",
]
DROP = [
    "DROP INDEX IF EXISTS targetlevel_level_referral",
    "DROP INDEX IF EXISTS patient_search_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_decision_countersign_index"),
        ("patients", "0003_worklist_queue_index"),
    ]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
