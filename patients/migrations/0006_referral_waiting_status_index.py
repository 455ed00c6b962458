from django.db import migrations, models

from vpselect.indexes import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # Built without locking out the writes of every referral.
    atomic = False

    dependencies = [
        ("patients", "0005_patient_preferred_language"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="referral",
            index=models.Index(
                models.F("status"),
                models.F("id"),
                condition=models.Q(("status__in", ["submitted", "under_review"])),
                name="referral_waiting_status",
            ),
        ),
    ]
