"""The preferred language is the patient's (patients.Patient.preferred_language), not only the
follow-up contact's: copy each contact's language to its patient, then drop the contact's."""

from django.db import migrations, models


def copy_to_patients(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    PatientContact = apps.get_model("outcomes", "PatientContact")
    language = PatientContact.objects.filter(patient=models.OuterRef("pk")).values(
        "preferred_language"
    )[:1]
    Patient.objects.filter(contact__isnull=False).update(
        preferred_language=models.Subquery(language)
    )


def copy_to_contacts(apps, schema_editor):
    PatientContact = apps.get_model("outcomes", "PatientContact")
    Patient = apps.get_model("patients", "Patient")
    language = Patient.objects.filter(pk=models.OuterRef("patient_id")).values(
        "preferred_language"
    )[:1]
    PatientContact.objects.update(preferred_language=models.Subquery(language))


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_patient_reported_outcomes"),
        ("patients", "0005_patient_preferred_language"),
    ]

    operations = [
        migrations.RunPython(copy_to_patients, copy_to_contacts),
        migrations.RemoveField(model_name="historicalpatientcontact", name="preferred_language"),
        migrations.RemoveField(model_name="patientcontact", name="preferred_language"),
    ]
