"""Seed the coded reasons a clinic starts with; more can be added in the admin."""

from django.db import migrations

REASON_CODES = [
    # (code, kind, plain-language label shown to the referrer)
    ("no-acute-fracture-on-mri", "decline", "No acute fracture on MRI"),
    ("pain-controlled", "decline", "Pain is controlled by medical therapy"),
    ("contraindication-present", "decline", "A contraindication to vertebroplasty is present"),
    ("not-the-pain-source", "decline", "The fracture does not explain the patient's pain"),
    ("needs-mri-stir", "information", "Please send an MRI with STIR sequence"),
    ("needs-coagulation", "information", "Please send INR and platelet count"),
    ("needs-fracture-date", "information", "Please give the date of the fracture or of the pain onset"),
    ("needs-answer", "information", "Please answer the radiologist's question"),
    ("clinical-judgement", "override", "Clinical judgement of the interventional radiologist"),
    ("imaging-reviewed", "override", "Imaging reviewed: the findings differ from the referral"),
    ("benefit-outweighs-risk", "override", "The expected benefit outweighs the risk"),
    ("multidisciplinary-decision", "override", "Decision of a multidisciplinary meeting"),
]


def seed(apps, schema_editor):
    ReasonCode = apps.get_model("reviews", "ReasonCode")
    for position, (code, kind, label) in enumerate(REASON_CODES):
        ReasonCode.objects.get_or_create(
            code=code, defaults={"kind": kind, "label": label, "position": position}
        )


def unseed(apps, schema_editor):
    ReasonCode = apps.get_model("reviews", "ReasonCode")
    ReasonCode.objects.filter(code__in=[code for code, _, _ in REASON_CODES]).delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
