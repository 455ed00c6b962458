from django.db import migrations, models

from vpselect.indexes import AddIndexConcurrentlyOnPostgres, RemoveIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # The new index is built before the old one goes, neither locking out the decisions.
    atomic = False

    dependencies = [
        ("reviews", "0009_decision_newest_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="reviewdecision",
            index=models.Index(
                fields=["referral", "id"],
                condition=models.Q(("requires_countersignature", True)),
                name="decision_countersign_ids",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(
            model_name="reviewdecision",
            name="decision_countersign_idx",
        ),
    ]
