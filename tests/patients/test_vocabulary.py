"""The answer vocabulary: one wording of every answer, label and state, in every language."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from eligibility.engine.facts import CASE_FIELDS
from eligibility.engine.facts import LEVEL_FIELDS as ENGINE_LEVEL_FIELDS
from patients import vocabulary
from patients.models import Referral, TargetLevel
from patients.vocabulary import answer_text, answers, label

from .conftest import eligible_case


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("coagulopathy", None, "Unknown"),
        ("radicular_cause", "", "Unknown"),
        ("allergies", None, "Unknown"),
        ("coagulopathy", True, "Yes"),
        ("osteomyelitis", False, "No"),
        ("allergies", [], "None known"),
        ("allergies", ["cement", "contrast"], "Bone cement (PMMA), Contrast medium"),
        ("etiology", "hemangioma", "Haemangioma (vertebral angioma)"),
        ("radicular_cause", "vertebral_collapse", "Caused by the vertebral body collapse"),
        ("sex", "female", "Female"),
        ("status", "under_review", "Under review"),
        ("recommendation", "not_eligible", "Not eligible"),
        # Numbers as entered, whether stored (Decimal) or in a case (int / float).
        ("inr", Decimal("1.10"), "1.1"),
        ("inr", 1.0, "1.0"),
        ("inr", Decimal("1.00"), "1.0"),
        ("platelets", Decimal("210.0"), "210"),
        ("platelets", 210, "210"),
        ("canal_compromise_pct", Decimal("12.5"), "12.5"),
        ("pain_nrs", 0, "0"),
        ("version", 4, "4"),
        # Dates stored or as ISO text in a case read the same.
        ("fracture_date", date(2026, 10, 2), "2 Oct 2026"),
        ("fracture_date", "2026-10-02", "2 Oct 2026"),
        ("assessed_on", "2026-11-20", "20 Nov 2026"),
    ],
)
def test_an_answer_reads_the_same_whatever_its_source(name, value, text):
    assert answer_text(name, value) == text


def test_the_same_answer_from_a_stored_referral_and_from_its_case_reads_the_same():
    stored = {
        "inr": Decimal("1.00"),
        "platelets": Decimal("240.0"),
        "fracture_date": date(2026, 10, 2),
    }
    in_case = {"inr": 1.0, "platelets": 240, "fracture_date": "2026-10-02"}
    for name in stored:
        assert answer_text(name, stored[name]) == answer_text(name, in_case[name])


def test_answers_follow_the_reader_language_and_formats():
    with translation.override("it"):
        assert answer_text("inr", Decimal("1.15")) == "1,15"
        assert answer_text("fracture_date", "2026-10-02") == "02 ottobre 2026"


def test_a_recorded_time_reads_in_local_time():
    moment = timezone.make_aware(datetime(2026, 12, 4, 9, 30))
    assert answer_text("submitted_at", moment).startswith("4 Dec 2026")


def test_labels_carry_their_unit_once():
    assert label("canal_compromise_pct") == "Spinal canal compromise (%)"
    assert label("platelets") == "Platelet count (×10⁹/L)"
    assert label("pain_nrs") == "Pain (NRS 0–10)"
    # A recorded field with no label of its own still reads as words.
    assert label("some_new_field") == "Some new field"


def test_every_answer_and_level_field_has_a_label():
    for name in (*vocabulary.REFERRAL_FIELDS, *vocabulary.LEVEL_FIELDS, "assessed_on"):
        assert name in vocabulary.LABELS, name


def test_the_field_lists_are_the_case_formats_and_the_models():
    assert {*vocabulary.REFERRAL_FIELDS, "assessed_on", "patient", "levels"} == set(CASE_FIELDS)
    assert vocabulary.LEVEL_FIELDS == ENGINE_LEVEL_FIELDS
    referral_fields = {field.name for field in Referral._meta.get_fields()}
    level_fields = {field.name for field in TargetLevel._meta.get_fields()}
    assert set(vocabulary.REFERRAL_FIELDS) <= referral_fields
    assert set(vocabulary.LEVEL_FIELDS) <= level_fields


def test_a_follow_up_not_asked_reads_not_applicable_and_an_unanswered_one_unknown():
    shown = {a.name: a for a in answers({"coagulopathy": False}, ["coagulopathy_corrected"])}
    assert shown["coagulopathy_corrected"].value == "Not applicable"
    assert not shown["coagulopathy_corrected"].is_unknown
    shown = {a.name: a for a in answers({"coagulopathy": None}, ["coagulopathy_corrected"])}
    assert shown["coagulopathy_corrected"].value == "Unknown"
    assert shown["coagulopathy_corrected"].is_unknown


def test_a_tumour_question_reads_not_applicable_only_for_a_known_non_tumour_etiology():
    names = ["high_fracture_risk", "epidural_extension"]
    osteoporotic = [a.value for a in answers({"etiology": "osteoporosis"}, names)]
    assert osteoporotic == ["Not applicable", "Not applicable"]
    unknown = [a.value for a in answers({"etiology": ""}, names)]
    assert unknown == ["Unknown", "Unknown"]
    haemangioma = [a.value for a in answers({"etiology": "hemangioma"}, names)]
    assert haemangioma == ["Not applicable", "Unknown"]


def test_a_case_path_names_its_level_and_question():
    levels = ["T12", "L1"]
    assert vocabulary.case_path_label("levels[1].canal_compromise_pct", levels) == (
        "L1: Spinal canal compromise (%)"
    )
    assert vocabulary.case_path_label("patient.date_of_birth", levels) == "Date of birth"
    assert vocabulary.case_path_label("coagulopathy", levels) == (
        "Coagulopathy or anticoagulant / antiplatelet drug"
    )


def test_an_unknown_choice_value_is_shown_as_stored_for_the_template_to_escape():
    assert answer_text("etiology", "<script>x</script>") == "<script>x</script>"
    assert answer_text("allergies", ["<b>x</b>"]) == "<b>x</b>"


def test_the_admin_words_answers_and_recommendations_as_the_pages_do(
    superuser_client, physician, make_patient, make_referral
):
    client = superuser_client
    case = eligible_case(timezone.localdate())
    case["coagulopathy"] = None
    case["levels"][0]["canal_compromise_pct"] = 12.5
    referral = make_referral(make_patient(physician), physician, case)
    Referral.objects.filter(pk=referral.pk).update(recommendation="not_eligible")

    change = client.get(reverse("admin:patients_referral_change", args=[referral.pk]))
    html = change.content.decode()
    assert "Spinal canal compromise (%)" in html and "12.5" in html
    assert "Coagulopathy or anticoagulant / antiplatelet drug" in html
    assert '<div class="readonly">Unknown</div>' in html  # not "None" or "-"
    changelist = client.get(reverse("admin:patients_referral_changelist")).content.decode()
    assert "Not eligible" in changelist and "not_eligible</td>" not in changelist
