from django.db import migrations, models

from vpselect.indexes import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # Built without locking out the writes of every decision (hundreds of thousands of rows).
    atomic = False

    dependencies = [
        ("summaries", "0002_queue_order"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="summarydocument",
            index=models.Index(
                models.OrderBy(models.F("decided_or_created"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(
                    ("print_count", 0), ("status", "ready"), ("superseded_by__isnull", True)
                ),
                name="summary_queue_ready",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="summarydocument",
            index=models.Index(
                models.F("status"),
                models.OrderBy(models.F("decided_or_created"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("superseded_by__isnull", True)),
                name="summary_queue_current",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="summarydocument",
            index=models.Index(
                models.OrderBy(models.F("decided_or_created"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="summary_queue_all",
            ),
        ),
    ]
