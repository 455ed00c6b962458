"""The verdict of a result: deciding findings first (the one that sets the recommendation
leading), patient-level rules once, every other finding kept."""

import datetime as dt

from eligibility.engine import evaluate
from eligibility.verdict import verdict_of
from tests.eligibility.engine.builders import make_case, make_level_case

TODAY = dt.date(2026, 11, 24)


def _deciding(result: dict) -> list[tuple[str, str, str]]:
    return [(line.rule, line.level, line.tone) for line in verdict_of(result).why]


def _all_shown(result: dict) -> int:
    verdict = verdict_of(result)
    return len(verdict.why) + len(verdict.others)


def test_an_eligible_case_is_decided_by_its_met_indication_alone():
    result = evaluate(make_case(), today=TODAY)
    assert result["recommendation"] == "eligible"
    assert _deciding(result) == [("IND-OSTEOPOROSIS", "", "success")]
    verdict = verdict_of(result)
    assert verdict.others_all_not_met and len(verdict.others) == 14


def test_a_relative_contraindication_leads_a_review():
    result = evaluate(make_level_case(canal_compromise_pct=40), today=TODAY)
    assert _deciding(result) == [
        ("RCI-RETROPULSION", "", "warning"),
        ("IND-OSTEOPOROSIS", "", "success"),
    ]


def test_met_absolute_contraindications_lead_a_not_eligible_case():
    result = evaluate(make_case(local_infection=True, allergies=["cement"]), today=TODAY)
    rules = [rule for rule, _, tone in _deciding(result) if tone == "danger"]
    assert rules == ["CI-ALLERGY", "CI-INFECTION"]
    assert _deciding(result)[0][2] == "danger" and _deciding(result)[-1][2] == "success"


def test_an_incomplete_case_is_decided_by_its_unknown_findings_with_their_missing_answers():
    result = evaluate(make_case(coagulopathy=None), today=TODAY)
    verdict = verdict_of(result)
    first = verdict.why[0]
    assert (first.rule, first.tone, first.missing) == (
        "CI-COAGULOPATHY",
        "neutral",
        ["coagulopathy"],
    )


def test_no_indication_is_shown_as_the_indications_not_met():
    result = evaluate(make_level_case(etiology="traumatic", imaging_acute=False), today=TODAY)
    assert result["recommendation"] == "not_eligible"
    assert {rule for rule, _, _ in _deciding(result)} >= {"IND-OSTEOPOROSIS", "IND-TUMOR"}


def test_two_levels_list_the_deciding_level_first_and_patient_rules_once():
    levels = [
        {"level": "L1", "osteomyelitis": True},
        {"level": "L2", "canal_compromise_pct": 40},
    ]
    result = evaluate(make_case(levels=levels), today=TODAY)
    assert result["recommendation"] == "review"
    deciding = _deciding(result)
    assert deciding[0] == ("RCI-RETROPULSION", "L2", "warning")
    assert ("CI-OSTEOMYELITIS", "L1", "danger") in deciding
    # Patient-level rules (infection, allergy, …) are shown once, not once per level.
    assert _all_shown(result) < 2 * len(result["levels"][0]["findings"])
    shown = {(line.rule, line.level) for line in verdict_of(result).why + verdict_of(result).others}
    for level in result["levels"]:
        for finding in level["findings"]:
            assert (finding["rule"], level["level"]) in shown or (finding["rule"], "") in shown


def test_a_stored_result_with_parts_missing_gives_an_empty_verdict():
    assert (
        verdict_of({}).why == [] and verdict_of({"levels": [None, {"findings": [3]}]}).others == []
    )
