"""Each rule met, not met and unknown, and each threshold at its boundary (no database)."""

import pytest

from eligibility.engine import RULES, evaluate

from .builders import TODAY, finding, make_case, make_level_case

# (id, rule, case, expected status, a part of the expected reason)
RULE_CASES = [
    # IND-OSTEOPOROSIS
    (
        "osteoporosis_severe_painful_fracture_is_met",
        "IND-OSTEOPOROSIS",
        make_level_case(),
        "met",
        "Osteoporotic fracture with pain NRS 9, at or above the severe threshold 7.",
    ),
    (
        "osteoporosis_indication_not_met_for_metastasis",
        "IND-OSTEOPOROSIS",
        make_level_case(etiology="metastasis"),
        "not_met",
        "Etiology is metastasis, not osteoporosis.",
    ),
    (
        "osteoporosis_indication_needs_a_fracture",
        "IND-OSTEOPOROSIS",
        make_level_case(fracture=False),
        "not_met",
        "No fracture at this level.",
    ),
    (
        "osteoporosis_indication_needs_severe_pain",
        "IND-OSTEOPOROSIS",
        make_level_case(pain_nrs=6),
        "not_met",
        "Pain NRS 6 is below the severe threshold 7.",
    ),
    (
        "osteoporosis_indication_unknown_without_pain_score",
        "IND-OSTEOPOROSIS",
        make_level_case(pain_nrs=None),
        "unknown",
        "Pain NRS is not recorded.",
    ),
    (
        "osteoporosis_indication_unknown_without_etiology",
        "IND-OSTEOPOROSIS",
        make_level_case(etiology=None),
        "unknown",
        "Etiology is not recorded.",
    ),
    # IND-TUMOR
    (
        "painful_metastasis_with_fracture_is_met",
        "IND-TUMOR",
        make_level_case(etiology="metastasis", pain_nrs=3),
        "met",
        "Metastasis with pain NRS 3 (painful from 1) and a fracture.",
    ),
    (
        "painful_myeloma_at_high_fracture_risk_is_met",
        "IND-TUMOR",
        make_level_case(etiology="myeloma", pain_nrs=2, fracture=False, high_fracture_risk=True),
        "met",
        "and a high risk of fracture.",
    ),
    (
        "tumor_indication_not_met_for_osteoporosis",
        "IND-TUMOR",
        make_level_case(),
        "not_met",
        "Etiology is osteoporosis, not metastasis or myeloma.",
    ),
    (
        "tumor_indication_not_met_without_pain",
        "IND-TUMOR",
        make_level_case(etiology="metastasis", pain_nrs=0),
        "not_met",
        "Pain NRS 0 is below the painful threshold 1.",
    ),
    (
        "tumor_indication_not_met_without_fracture_or_risk",
        "IND-TUMOR",
        make_level_case(etiology="metastasis", fracture=False, high_fracture_risk=False),
        "not_met",
        "Neither a fracture nor a high risk of fracture.",
    ),
    (
        "tumor_indication_unknown_when_fracture_and_risk_absent",
        "IND-TUMOR",
        make_level_case(etiology="metastasis", fracture=None, high_fracture_risk=None),
        "unknown",
        "Fracture status and fracture risk are not recorded.",
    ),
    # IND-ANGIOMA
    (
        "symptomatic_hemangioma_is_met",
        "IND-ANGIOMA",
        make_level_case(etiology="hemangioma", pain_nrs=2),
        "met",
        "Hemangioma with pain NRS 2 (symptomatic from 1).",
    ),
    (
        "painless_hemangioma_is_not_met",
        "IND-ANGIOMA",
        make_level_case(etiology="hemangioma", pain_nrs=0),
        "not_met",
        "Pain NRS 0 is below the symptomatic threshold 1.",
    ),
    (
        "hemangioma_without_pain_score_is_unknown",
        "IND-ANGIOMA",
        make_level_case(etiology="hemangioma", pain_nrs=None),
        "unknown",
        "Pain NRS is not recorded.",
    ),
    # CI-ASYMPTOMATIC-STABLE
    (
        "painless_fracture_without_acute_imaging_is_asymptomatic_stable",
        "CI-ASYMPTOMATIC-STABLE",
        make_level_case(pain_nrs=0, imaging_acute=False),
        "met",
        "Fracture with pain NRS 0 and no imaging sign of an acute fracture.",
    ),
    (
        "painful_fracture_is_not_asymptomatic",
        "CI-ASYMPTOMATIC-STABLE",
        make_level_case(),
        "not_met",
        "Pain NRS 9: the fracture is symptomatic.",
    ),
    (
        "painless_acute_fracture_is_not_stable",
        "CI-ASYMPTOMATIC-STABLE",
        make_level_case(pain_nrs=0, imaging_acute=True),
        "not_met",
        "Imaging shows an acute fracture.",
    ),
    (
        "painless_fracture_without_imaging_is_unknown",
        "CI-ASYMPTOMATIC-STABLE",
        make_level_case(pain_nrs=0, imaging_acute=None),
        "unknown",
        "Imaging of fracture acuteness is not recorded.",
    ),
    # CI-EFFECTIVE-THERAPY
    (
        "pain_controlled_by_medical_therapy_is_met",
        "CI-EFFECTIVE-THERAPY",
        make_case(pain_controlled_by_medical_therapy=True),
        "met",
        "controlled by",
    ),
    (
        "pain_not_controlled_is_not_met",
        "CI-EFFECTIVE-THERAPY",
        make_case(),
        "not_met",
        "Pain is not controlled by medical therapy.",
    ),
    (
        "therapy_response_absent_is_unknown",
        "CI-EFFECTIVE-THERAPY",
        make_case(pain_controlled_by_medical_therapy=None),
        "unknown",
        "Response to medical therapy is not recorded.",
    ),
    # CI-OSTEOMYELITIS
    (
        "osteomyelitis_is_met",
        "CI-OSTEOMYELITIS",
        make_level_case(osteomyelitis=True),
        "met",
        "Osteomyelitis of L2.",
    ),
    (
        "no_osteomyelitis_is_not_met",
        "CI-OSTEOMYELITIS",
        make_level_case(),
        "not_met",
        "No osteomyelitis of L2.",
    ),
    (
        "osteomyelitis_absent_is_unknown",
        "CI-OSTEOMYELITIS",
        make_level_case(osteomyelitis=None),
        "unknown",
        "Osteomyelitis is not recorded.",
    ),
    # CI-COAGULOPATHY
    (
        "uncorrected_coagulopathy_is_met",
        "CI-COAGULOPATHY",
        make_case(coagulopathy=True, coagulopathy_corrected=False),
        "met",
        "Coagulation not corrected: an uncorrected coagulopathy.",
    ),
    (
        "high_inr_is_met_without_known_coagulopathy",
        "CI-COAGULOPATHY",
        make_case(inr=2.4),
        "met",
        "INR 2.4 above 1.5",
    ),
    (
        "low_platelets_are_met",
        "CI-COAGULOPATHY",
        make_case(platelets=20),
        "met",
        "platelets 20 ×10⁹/L below 50",
    ),
    (
        "lab_values_decide_even_when_coagulopathy_absent",
        "CI-COAGULOPATHY",
        make_case(coagulopathy=None, inr=3.0),
        "met",
        "INR 3.0 above 1.5",
    ),
    (
        "no_coagulopathy_with_normal_labs_is_not_met",
        "CI-COAGULOPATHY",
        make_case(),
        "not_met",
        "No coagulopathy; INR 1.0 (at most 1.5) and platelets 240 ×10⁹/L (at least 50).",
    ),
    (
        "corrected_coagulopathy_is_not_met",
        "CI-COAGULOPATHY",
        make_case(coagulopathy=True, coagulopathy_corrected=True),
        "not_met",
        "Coagulopathy corrected",
    ),
    (
        "absent_lab_values_are_no_evidence",
        "CI-COAGULOPATHY",
        make_case(inr=None, platelets=None),
        "not_met",
        "No coagulopathy; no INR or platelet count against it.",
    ),
    (
        "absent_coagulopathy_is_unknown_even_if_corrected",
        "CI-COAGULOPATHY",
        make_case(coagulopathy=None, coagulopathy_corrected=True),
        "unknown",
        "Coagulopathy is not recorded.",
    ),
    (
        "coagulopathy_with_absent_correction_is_unknown",
        "CI-COAGULOPATHY",
        make_case(coagulopathy=True, coagulopathy_corrected=None),
        "unknown",
        "Whether the coagulopathy is corrected is not recorded.",
    ),
    # CI-ACUTE-TRAUMA
    (
        "acute_traumatic_fracture_is_met",
        "CI-ACUTE-TRAUMA",
        make_level_case(etiology="traumatic"),
        "met",
        "Traumatic fracture that imaging shows to be acute.",
    ),
    (
        "osteoporotic_fracture_is_not_traumatic",
        "CI-ACUTE-TRAUMA",
        make_level_case(),
        "not_met",
        "Etiology is osteoporosis, not traumatic.",
    ),
    (
        "healed_traumatic_fracture_is_not_acute",
        "CI-ACUTE-TRAUMA",
        make_level_case(etiology="traumatic", imaging_acute=False),
        "not_met",
        "Imaging shows no acute fracture.",
    ),
    (
        "traumatic_fracture_without_imaging_is_unknown",
        "CI-ACUTE-TRAUMA",
        make_level_case(etiology="traumatic", imaging_acute=None),
        "unknown",
        "Imaging of fracture acuteness is not recorded.",
    ),
    # CI-PROPHYLAXIS
    (
        "osteoporotic_level_without_fracture_is_prophylaxis",
        "CI-PROPHYLAXIS",
        make_level_case(fracture=False),
        "met",
        "treatment would be prophylactic",
    ),
    (
        "fractured_osteoporotic_level_is_not_prophylaxis",
        "CI-PROPHYLAXIS",
        make_level_case(),
        "not_met",
        "The level is fractured.",
    ),
    (
        "unfractured_tumor_level_is_not_prophylaxis",
        "CI-PROPHYLAXIS",
        make_level_case(etiology="metastasis", fracture=False),
        "not_met",
        "Etiology is metastasis, not osteoporosis.",
    ),
    (
        "osteoporotic_level_with_absent_fracture_is_unknown",
        "CI-PROPHYLAXIS",
        make_level_case(fracture=None),
        "unknown",
        "Fracture status is not recorded.",
    ),
    # CI-ALLERGY
    (
        "allergy_to_cement_is_met",
        "CI-ALLERGY",
        make_case(allergies=["cement", "contrast"]),
        "met",
        "Allergy to cement and contrast.",
    ),
    (
        "empty_allergy_list_is_not_met",
        "CI-ALLERGY",
        make_case(),
        "not_met",
        "No known allergy to a required component.",
    ),
    (
        "absent_allergies_are_unknown",
        "CI-ALLERGY",
        make_case(allergies=None),
        "unknown",
        "Allergy status is not recorded.",
    ),
    # CI-INFECTION
    (
        "systemic_infection_is_met",
        "CI-INFECTION",
        make_case(systemic_infection=True),
        "met",
        "Systemic infection.",
    ),
    (
        "local_infection_is_met_even_if_systemic_unknown",
        "CI-INFECTION",
        make_case(systemic_infection=None, local_infection=True),
        "met",
        "Infection at the access site.",
    ),
    (
        "no_infection_is_not_met",
        "CI-INFECTION",
        make_case(),
        "not_met",
        "No systemic or local infection.",
    ),
    (
        "absent_local_infection_is_unknown",
        "CI-INFECTION",
        make_case(local_infection=None),
        "unknown",
        "Local infection is not recorded.",
    ),
    # RCI-RADICULOPATHY
    (
        "radicular_pain_from_unrelated_compression_is_met",
        "RCI-RADICULOPATHY",
        make_case(radicular_pain=True, radicular_cause="unrelated_compression"),
        "met",
        "Radicular pain from a compression unrelated to the vertebral collapse.",
    ),
    (
        "no_radicular_pain_is_not_met_whatever_the_cause",
        "RCI-RADICULOPATHY",
        make_case(radicular_pain=False, radicular_cause="unrelated_compression"),
        "not_met",
        "No radicular pain.",
    ),
    (
        "radicular_pain_from_the_collapse_is_not_met",
        "RCI-RADICULOPATHY",
        make_case(radicular_pain=True, radicular_cause="vertebral_collapse"),
        "not_met",
        "caused by the vertebral collapse",
    ),
    (
        "radicular_pain_with_absent_cause_is_unknown",
        "RCI-RADICULOPATHY",
        make_case(radicular_pain=True, radicular_cause=None),
        "unknown",
        "Cause of the radicular pain is not recorded.",
    ),
    # RCI-RETROPULSION
    (
        "retropulsion_over_20_percent_is_met",
        "RCI-RETROPULSION",
        make_level_case(canal_compromise_pct=35),
        "met",
        "Canal compromise 35% exceeds 20%.",
    ),
    (
        "small_canal_compromise_is_not_met",
        "RCI-RETROPULSION",
        make_level_case(),
        "not_met",
        "Canal compromise 5% does not exceed 20%.",
    ),
    (
        "canal_compromise_without_fracture_is_not_met",
        "RCI-RETROPULSION",
        make_level_case(fracture=False, canal_compromise_pct=35),
        "not_met",
        "No fracture at this level.",
    ),
    (
        "absent_canal_compromise_is_unknown",
        "RCI-RETROPULSION",
        make_level_case(canal_compromise_pct=None),
        "unknown",
        "Canal compromise is not recorded.",
    ),
    # RCI-EPIDURAL
    (
        "epidural_extension_of_metastasis_is_met",
        "RCI-EPIDURAL",
        make_level_case(etiology="metastasis", epidural_extension=True),
        "met",
        "Metastasis extends into the epidural space.",
    ),
    (
        "epidural_extension_of_hemangioma_is_met",
        "RCI-EPIDURAL",
        make_level_case(etiology="hemangioma", epidural_extension=True),
        "met",
        "Hemangioma extends into the epidural space.",
    ),
    (
        "osteoporosis_has_no_epidural_tumor",
        "RCI-EPIDURAL",
        make_level_case(epidural_extension=True),
        "not_met",
        "Etiology is osteoporosis, not a tumor.",
    ),
    (
        "tumor_without_epidural_extension_is_not_met",
        "RCI-EPIDURAL",
        make_level_case(etiology="myeloma", epidural_extension=False),
        "not_met",
        "No epidural extension.",
    ),
    (
        "tumor_with_absent_epidural_extension_is_unknown",
        "RCI-EPIDURAL",
        make_level_case(etiology="myeloma", epidural_extension=None),
        "unknown",
        "Epidural extension is not recorded.",
    ),
    # RCI-OLD-STABLE
    (
        "healed_fracture_older_than_a_year_is_met",
        "RCI-OLD-STABLE",
        make_level_case(fracture_date="2024-05-01", imaging_acute=False),
        "met",
        "Fracture of 2024-05-01 is 933 days old (more than 365) with no imaging sign of an acute "
        "fracture.",
    ),
    (
        "old_fracture_with_acute_imaging_is_not_met",
        "RCI-OLD-STABLE",
        make_level_case(fracture_date="2024-05-01", imaging_acute=True),
        "not_met",
        "Imaging shows an acute fracture.",
    ),
    (
        "recent_healed_fracture_is_not_met",
        "RCI-OLD-STABLE",
        make_level_case(imaging_acute=False),
        "not_met",
        "Fracture of 2026-10-02 is 49 days old, not more than 365.",
    ),
    (
        "healed_fracture_with_absent_date_is_unknown",
        "RCI-OLD-STABLE",
        make_level_case(fracture_date=None, imaging_acute=False),
        "unknown",
        "Fracture date is not recorded.",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "case", "status", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in RULE_CASES],
)
def test_rule(rule_id, case, status, reason):
    found = finding(evaluate(case, today=TODAY), rule_id)
    assert found["status"] == status
    assert reason in found["reason"]


def test_every_rule_has_a_met_a_not_met_and_an_unknown_case():
    covered = {(row[1], row[3]) for row in RULE_CASES}
    for rule in RULES:
        for status in ("met", "not_met", "unknown"):
            assert (rule.id, status) in covered, (rule.id, status)


# (id, rule, case, status) at each side of each threshold.
BOUNDARY_CASES = [
    ("pain_nrs_6_is_not_severe", "IND-OSTEOPOROSIS", make_level_case(pain_nrs=6), "not_met"),
    ("pain_nrs_7_is_severe", "IND-OSTEOPOROSIS", make_level_case(pain_nrs=7), "met"),
    (
        "pain_nrs_0_is_not_painful",
        "IND-TUMOR",
        make_level_case(etiology="metastasis", pain_nrs=0),
        "not_met",
    ),
    (
        "pain_nrs_1_is_painful",
        "IND-TUMOR",
        make_level_case(etiology="metastasis", pain_nrs=1),
        "met",
    ),
    (
        "pain_nrs_0_is_not_symptomatic",
        "IND-ANGIOMA",
        make_level_case(etiology="hemangioma", pain_nrs=0),
        "not_met",
    ),
    (
        "pain_nrs_1_is_symptomatic",
        "IND-ANGIOMA",
        make_level_case(etiology="hemangioma", pain_nrs=1),
        "met",
    ),
    ("inr_1_5_is_acceptable", "CI-COAGULOPATHY", make_case(inr=1.5), "not_met"),
    ("inr_1_6_is_uncorrected", "CI-COAGULOPATHY", make_case(inr=1.6), "met"),
    ("platelets_49_are_too_few", "CI-COAGULOPATHY", make_case(platelets=49), "met"),
    ("platelets_50_are_enough", "CI-COAGULOPATHY", make_case(platelets=50), "not_met"),
    (
        "canal_compromise_20_percent_is_not_over",
        "RCI-RETROPULSION",
        make_level_case(canal_compromise_pct=20),
        "not_met",
    ),
    (
        "canal_compromise_21_percent_is_over",
        "RCI-RETROPULSION",
        make_level_case(canal_compromise_pct=21),
        "met",
    ),
    (
        "canal_compromise_20_point_5_percent_is_over",
        "RCI-RETROPULSION",
        make_level_case(canal_compromise_pct=20.5),
        "met",
    ),
    # assessed_on is 2026-11-20: 2025-11-20 is 365 days before it, 2025-11-19 is 366.
    (
        "fracture_365_days_old_is_not_old",
        "RCI-OLD-STABLE",
        make_level_case(fracture_date="2025-11-20", imaging_acute=False),
        "not_met",
    ),
    (
        "fracture_366_days_old_is_old",
        "RCI-OLD-STABLE",
        make_level_case(fracture_date="2025-11-19", imaging_acute=False),
        "met",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "case", "status"), [pytest.param(*row[1:], id=row[0]) for row in BOUNDARY_CASES]
)
def test_threshold_boundary(rule_id, case, status):
    assert finding(evaluate(case, today=TODAY), rule_id)["status"] == status


def test_fracture_age_counts_to_today_when_assessment_date_absent():
    case = make_level_case(fracture_date="2025-11-24", imaging_acute=False)
    del case["assessed_on"]
    assert finding(evaluate(case, today=TODAY), "RCI-OLD-STABLE")["status"] == "not_met"
    case["levels"][0]["fracture_date"] = "2025-11-23"
    assert finding(evaluate(case, today=TODAY), "RCI-OLD-STABLE")["status"] == "met"


def test_patient_level_rules_apply_to_every_level():
    case = make_case(
        systemic_infection=True,
        levels=[{"level": "T12"}, {"level": "L1", "etiology": "metastasis"}],
    )
    result = evaluate(case, today=TODAY)
    assert [finding(result, "CI-INFECTION", i)["status"] for i in (0, 1)] == ["met", "met"]
    assert [level["recommendation"] for level in result["levels"]] == ["not_eligible"] * 2
