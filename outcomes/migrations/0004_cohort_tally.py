"""The dashboard's tally of the cohort (outcomes.models.CohortTally), counted once here."""

from django.db import migrations, models


def count_the_cohort(apps, schema_editor):
    # The live code, not historical models: the tally is whatever `cohort_counts` counts.
    from outcomes.services.tallies import cohort_tally_rebuild

    cohort_tally_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0003_preferred_language_moves_to_the_patient"),
    ]

    operations = [
        migrations.CreateModel(
            name="CohortTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("cohort", models.CharField(default="", max_length=60)),
                ("measure", models.CharField(max_length=16)),
                ("value", models.CharField(max_length=200)),
                ("count", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cohort", "measure", "value"), name="cohort_tally_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(count_the_cohort, migrations.RunPython.noop, elidable=True),
    ]
