"""Reason codes: every finding's reason as a code and values, equal to the spec's sentence.

The English sentence in the result stays the spec's; finding_reasons gives the same reasons as
data for the app's catalogs. These tests hold the two equal over the shared examples, the
golden cases and generated cases (no database).
"""

import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from eligibility.engine import (
    DEFAULT_THRESHOLDS,
    PLURAL_TEMPLATES,
    REASON_TEMPLATES,
    RULES,
    Reason,
    Thresholds,
    evaluate_facts,
    finding_reasons,
    reason_text,
    result_to_json,
    validate_case,
)
from eligibility.engine.reasons import REASONS_BY_RULE

from .builders import EXAMPLES_DIR, SHARED_HELP, TODAY, case_documents, make_case, make_level_case

GOLDEN_DIR = Path(__file__).parent / "golden"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def assert_reasons_match(case: dict, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list:
    facts = validate_case(case, today=TODAY)
    result = evaluate_facts(facts, thresholds=thresholds)
    reasons = finding_reasons(facts, thresholds=thresholds)
    assert len(reasons) == len(result["levels"])
    for level, level_reasons in zip(result["levels"], reasons, strict=True):
        assert len(level_reasons) == len(level["findings"]) == len(RULES)
        for finding, reason in zip(level["findings"], level_reasons, strict=True):
            assert reason_text(reason) == finding["reason"], (finding["rule"], reason)
    return [reason for level in reasons for reason in level]


def shared_examples() -> list[Path]:
    paths = sorted(EXAMPLES_DIR.glob("*.json"))
    if not paths:
        pytest.fail(SHARED_HELP.format(path=EXAMPLES_DIR))
    return paths


@pytest.mark.parametrize("path", shared_examples(), ids=lambda path: path.stem)
def test_every_shared_example_reason_reads_back_as_the_specs_sentence(path):
    assert_reasons_match(json.loads(path.read_text())["case"])


@pytest.mark.parametrize("path", sorted(GOLDEN_DIR.glob("*.json")), ids=lambda path: path.stem)
def test_every_golden_case_reason_reads_back_as_the_specs_sentence(path):
    assert_reasons_match(json.loads(path.read_text())["case"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents())
def test_generated_cases_reasons_read_back_as_the_specs_sentences(case):
    assert_reasons_match(case)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents(max_levels=2))
def test_reasons_follow_changed_thresholds(case):
    changed = Thresholds(
        severe_pain_nrs=6, inr_max=1.8, platelets_min=30.5, canal_compromise_max_pct=25
    )
    assert_reasons_match(case, changed)


def test_compound_coagulation_reason_keeps_each_cause_with_its_values():
    case = make_case(coagulopathy=True, coagulopathy_corrected=False, inr=2.25, platelets=40)
    reasons = assert_reasons_match(case)
    coagulation = reasons[[rule.id for rule in RULES].index("CI-COAGULOPATHY")]

    assert coagulation.code == "coagulation_not_corrected"
    assert [cause.code for cause in coagulation.values["causes"]] == [
        "coagulopathy_uncorrected",
        "inr_above",
        "platelets_below",
    ]
    assert coagulation.values["causes"][1].values == {"inr": 2.25, "inr_max": 1.5}
    assert reason_text(coagulation) == (
        "Coagulation not corrected: an uncorrected coagulopathy, INR 2.25 above 1.5 and "
        "platelets 40 ×10⁹/L below 50."
    )


def test_values_are_data_not_text():
    case = make_level_case(fracture=True, imaging_acute=False, fracture_date="2024-01-02")
    reasons = assert_reasons_match(case)
    old = reasons[[rule.id for rule in RULES].index("RCI-OLD-STABLE")]

    assert old.code == "old_fracture_not_acute"
    assert old.values["fracture_date"] == date(2024, 1, 2)
    assert isinstance(old.values["age_days"], int)


def test_unknown_reason_names_the_absent_inputs_by_path():
    case = make_level_case(pain_nrs=None, etiology=None)
    reasons = assert_reasons_match(case)
    osteoporosis = reasons[0]

    assert osteoporosis == Reason(
        "not_recorded", {"inputs": ("levels[].etiology", "levels[].pain_nrs")}
    )
    assert reason_text(osteoporosis) == "Etiology and pain NRS are not recorded."


def test_the_spec_output_is_unchanged_by_asking_for_reasons():
    case = make_case(allergies=["cement", "contrast"])
    facts = validate_case(case, today=TODAY)
    before = result_to_json(evaluate_facts(facts))
    finding_reasons(facts)
    assert result_to_json(evaluate_facts(facts)) == before
    assert '"reason_code"' not in before and '"values"' not in before


def test_every_rule_has_a_reason_builder_and_every_code_a_template():
    assert list(REASONS_BY_RULE) == [rule.id for rule in RULES]
    assert not set(REASON_TEMPLATES) & set(PLURAL_TEMPLATES)
    for code, (counted, singular, plural) in PLURAL_TEMPLATES.items():
        assert PLACEHOLDER.findall(singular) == PLACEHOLDER.findall(plural) == [counted], code
    for code, template in REASON_TEMPLATES.items():
        assert template.replace("%%", "").count("%") == len(PLACEHOLDER.findall(template)), code
