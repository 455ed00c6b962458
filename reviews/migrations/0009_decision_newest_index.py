from django.db import migrations, models

from vpselect.indexes import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # Built without locking out the writes of every decision (hundreds of thousands of rows).
    atomic = False

    dependencies = [
        ("reviews", "0008_merge_refusal_and_information_thread"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="reviewdecision",
            index=models.Index(
                models.OrderBy(models.F("decided_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="decision_newest_idx",
            ),
        ),
    ]
