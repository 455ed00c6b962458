"""The print queue's order as a column: when the summary's decision was made, or when the
summary was made if it shows none."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_queue_order(apps, schema_editor):
    SummaryDocument = apps.get_model("summaries", "SummaryDocument")
    ReviewDecision = apps.get_model("reviews", "ReviewDecision")
    decided_at = ReviewDecision.objects.filter(pk=OuterRef("decision_id")).values("decided_at")
    SummaryDocument.objects.update(
        decided_or_created=Coalesce(Subquery(decided_at[:1]), "created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("summaries", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="summarydocument",
            name="decided_or_created",
            field=models.DateTimeField(null=True, editable=False),
        ),
        migrations.RunPython(fill_queue_order, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="summarydocument",
            name="decided_or_created",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
    ]
