"""Counting the rows of every patient-data table at once: a refused request must change none."""

from django.apps import apps
from django.db import connection

# Apps whose tables hold patient data (their history tables included).
PATIENT_DATA_APPS = ("patients", "eligibility", "reviews", "outcomes", "summaries", "interop")


def patient_data_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for label in PATIENT_DATA_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy
    )


def patient_data_counts() -> dict[str, int]:
    """{table: rows} for every patient-data table, in one query."""
    tables = patient_data_tables()
    quote = connection.ops.quote_name
    # Table names come from the models, never from input.
    columns = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return dict(zip(tables, cursor.fetchone(), strict=True))
