from django.db import migrations, models

from vpselect.indexes import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # Built without locking out the recording of follow-ups (about a million rows in ten years).
    atomic = False

    dependencies = [
        ("outcomes", "0004_cohort_tally"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("status", "completed"), _negated=True),
                fields=["target_date", "id"],
                name="follow_up_open",
            ),
        ),
    ]
