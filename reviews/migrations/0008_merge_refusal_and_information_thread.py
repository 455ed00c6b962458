# Joins two migrations made in parallel: the countersignature refusal and the information
# request thread (replies and attachments). Neither touches the other's tables.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0007_countersignature_refusal"),
        ("reviews", "0007_information_request_thread"),
    ]

    operations = []
