"""Properties of the engine over generated cases (hypothesis; no database)."""

import copy
import json
import math
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.engine import (
    RULES_BY_ID,
    CaseValidationError,
    Recommendation,
    evaluate,
    result_to_json,
)
from eligibility.engine.facts import ALLERGENS, ETIOLOGIES, RADICULAR_CAUSES

from .builders import TODAY, absent_paths, case_documents

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# For invariants every other property also exercises on the same generated cases.
LIGHT_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=100)
ABSOLUTE_RULES = [rule.id for rule in RULES_BY_ID.values() if rule.kind == "absolute"]


def favourability(recommendation: str) -> int:
    return Recommendation(recommendation).favourability


def reference_date(case: dict) -> date:
    return date.fromisoformat(case["assessed_on"]) if case.get("assessed_on") else TODAY


def statuses(level: dict) -> dict[str, str]:
    return {f["rule"]: f["status"] for f in level["findings"]}


@LIGHT_SETTINGS
@given(case_documents())
def test_output_is_deterministic(case):
    first = result_to_json(evaluate(case, today=TODAY))
    again = result_to_json(evaluate(copy.deepcopy(case), today=TODAY))
    assert first == again
    assert json.loads(first) == evaluate(case, today=TODAY)


@LIGHT_SETTINGS
@given(case_documents())
def test_result_shape(case):
    result = evaluate(case, today=TODAY)
    assert list(result) == ["ruleset_version", "recommendation", "flagged", "missing", "levels"]
    assert len(result["levels"]) == len(case["levels"])
    for level, given_level in zip(result["levels"], case["levels"], strict=True):
        assert list(level) == ["level", "recommendation", "findings"]
        assert level["level"] == given_level["level"]
        assert [f["rule"] for f in level["findings"]] == list(RULES_BY_ID)
        for found in level["findings"]:
            assert list(found) == ["rule", "kind", "status", "text", "reason"]
            assert found["reason"].endswith(".") and "\n" not in found["reason"]


@PROPERTY_SETTINGS
@given(case_documents())
def test_a_level_is_eligible_only_when_no_finding_is_unknown(case):
    for level in evaluate(case, today=TODAY)["levels"]:
        found = statuses(level)
        if level["recommendation"] == "eligible":
            assert "unknown" not in found.values()
            assert any(found[r] == "met" for r in RULES_BY_ID if r.startswith("IND-"))
            assert not any(found[r] == "met" for r in RULES_BY_ID if "CI-" in r)


@PROPERTY_SETTINGS
@given(case_documents())
def test_never_eligible_on_missing_data(case):
    result = evaluate(case, today=TODAY)
    for level in result["levels"]:
        if "unknown" in statuses(level).values():
            assert level["recommendation"] != "eligible"
    if result["recommendation"] == "eligible":
        assert any("unknown" not in statuses(level).values() for level in result["levels"])


@LIGHT_SETTINGS
@given(case_documents())
def test_flagged_exactly_when_a_level_is_for_review(case):
    result = evaluate(case, today=TODAY)
    recommendations = [level["recommendation"] for level in result["levels"]]
    assert result["flagged"] is ("review" in recommendations)
    assert result["recommendation"] == max(recommendations, key=favourability)


@LIGHT_SETTINGS
@given(case_documents())
def test_missing_lists_absent_inputs_once_in_input_order(case):
    result = evaluate(case, today=TODAY)
    absent = absent_paths(case)
    assert all(path in absent for path in result["missing"])
    assert result["missing"] == [path for path in absent if path in result["missing"]]
    assert not {"inr", "platelets", "assessed_on"} & set(result["missing"])
    has_unknown = any("unknown" in statuses(level).values() for level in result["levels"])
    assert bool(result["missing"]) == has_unknown


def make_absolute_met(case: dict, rule_id: str, index: int, variant: int) -> None:
    """Change the case so that the rule is met at levels[index] (the case stays valid)."""
    level = case["levels"][index]
    if rule_id == "CI-ASYMPTOMATIC-STABLE":
        level.update(fracture=True, pain_nrs=0, imaging_acute=False)
    elif rule_id == "CI-EFFECTIVE-THERAPY":
        case["pain_controlled_by_medical_therapy"] = True
    elif rule_id == "CI-OSTEOMYELITIS":
        level["osteomyelitis"] = True
    elif rule_id == "CI-COAGULOPATHY":
        [
            lambda: case.update(coagulopathy=True, coagulopathy_corrected=False),
            lambda: case.update(inr=2.5),
            lambda: case.update(platelets=12),
        ][variant % 3]()
    elif rule_id == "CI-ACUTE-TRAUMA":
        level.update(etiology="traumatic", fracture=True, imaging_acute=True)
    elif rule_id == "CI-PROPHYLAXIS":
        level.update(etiology="osteoporosis", fracture=False)
    elif rule_id == "CI-ALLERGY":
        case["allergies"] = [ALLERGENS[variant % len(ALLERGENS)]]
    elif rule_id == "CI-INFECTION":
        case["systemic_infection" if variant % 2 else "local_infection"] = True
    else:  # pragma: no cover - a new absolute rule needs a line here
        raise AssertionError(f"No way to make {rule_id} met")


@PROPERTY_SETTINGS
@given(case_documents(), st.sampled_from(ABSOLUTE_RULES), st.integers(0, 2), st.integers(0, 5))
def test_a_met_absolute_contraindication_never_makes_a_level_more_favourable(
    case, rule_id, index, variant
):
    index %= len(case["levels"])
    before = evaluate(case, today=TODAY)
    make_absolute_met(case, rule_id, index, variant)
    after = evaluate(case, today=TODAY)
    assert statuses(after["levels"][index])[rule_id] == "met"
    assert after["levels"][index]["recommendation"] == "not_eligible"
    for old, new in zip(before["levels"], after["levels"], strict=True):
        assert favourability(new["recommendation"]) <= favourability(old["recommendation"])
    assert favourability(after["recommendation"]) <= favourability(before["recommendation"])


def value_for(path: str, case: dict):
    """A strategy of valid values for the input at `path`."""
    name = path.rsplit(".", 1)[-1]
    booleans = st.booleans()
    reference = reference_date(case)
    return {
        "pain_controlled_by_medical_therapy": booleans,
        "coagulopathy": booleans,
        "coagulopathy_corrected": booleans,
        "inr": st.floats(0.5, 5),
        "platelets": st.integers(0, 600),
        "systemic_infection": booleans,
        "local_infection": booleans,
        "allergies": st.lists(st.sampled_from(ALLERGENS), unique=True, max_size=2),
        "radicular_pain": booleans,
        "radicular_cause": st.sampled_from(RADICULAR_CAUSES),
        "etiology": st.sampled_from(ETIOLOGIES),
        "pain_nrs": st.integers(0, 10),
        "fracture": booleans,
        "fracture_date": st.integers(0, 900).map(
            lambda days: (reference - timedelta(days=days)).isoformat()
        ),
        "imaging_acute": booleans,
        "high_fracture_risk": booleans,
        "osteomyelitis": booleans,
        "canal_compromise_pct": st.integers(0, 100),
        "epidural_extension": booleans,
    }[name]


def set_path(case: dict, path: str, value) -> None:
    if path.startswith("levels["):
        index, name = path[len("levels[") :].split("].")
        case["levels"][int(index)][name] = value
    else:
        case[path] = value


@PROPERTY_SETTINGS
@given(case_documents(), st.sampled_from(ABSOLUTE_RULES), st.integers(0, 5), st.data())
def test_filling_in_a_missing_value_keeps_a_contraindicated_level_not_eligible(
    case, rule_id, variant, data
):
    make_absolute_met(case, rule_id, 0, variant)
    before = evaluate(case, today=TODAY)
    met_before = {r for r, s in statuses(before["levels"][0]).items() if s == "met"}
    absent = absent_paths(case)
    if not absent:
        return
    path = data.draw(st.sampled_from(absent))
    set_path(case, path, data.draw(value_for(path, case)))
    after = evaluate(case, today=TODAY)
    assert after["levels"][0]["recommendation"] == "not_eligible"
    met_after = {r for r, s in statuses(after["levels"][0]).items() if s == "met"}
    assert met_before <= met_after


@PROPERTY_SETTINGS
@given(case_documents(), st.data())
def test_filling_in_a_missing_value_only_decides_unknown_findings(case, data):
    # Lab values are the exception: absent, they are no evidence either way, so CI-COAGULOPATHY
    # can be not met without them and met once one is filled in.
    before = evaluate(case, today=TODAY)
    absent = [path for path in absent_paths(case) if path not in ("inr", "platelets")]
    if not absent:
        return
    path = data.draw(st.sampled_from(absent))
    set_path(case, path, data.draw(value_for(path, case)))
    after = evaluate(case, today=TODAY)
    for old, new in zip(before["levels"], after["levels"], strict=True):
        for rule, status in statuses(old).items():
            if status != "unknown":
                assert statuses(new)[rule] == status, (rule, path)


# --- Every invalid mutation of a valid case is refused, naming the mutated field ---------------


@st.composite
def invalid_mutations(draw):
    """A valid case, then one change that makes it invalid, and the path the error must name."""
    case = draw(case_documents())
    index = draw(st.integers(0, len(case["levels"]) - 1))
    level = case["levels"][index]
    at = f"levels[{index}]."
    reference = reference_date(case)
    bad_boolean = st.sampled_from(["true", "yes", 0, 1, 0.0, [], {}, "null"])
    bad_number = st.sampled_from(["1", "", True, False, [], {}, math.nan, math.inf, -math.inf])
    bad_date = st.sampled_from(
        [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "2026-01-01x",
            " 2026-01-01",
            "01/02/2026",
            "2026-01-01T00:00:00",
            "",
            20260101,
            True,
            [],
            "0000-00-00",
        ]
    )
    kind = draw(st.integers(0, 27))
    if kind == 0:
        name = draw(
            st.sampled_from(
                [
                    "pain_controlled_by_medical_therapy",
                    "coagulopathy",
                    "coagulopathy_corrected",
                    "systemic_infection",
                    "local_infection",
                    "radicular_pain",
                ]
            )
        )
        case[name] = draw(bad_boolean)
        return case, name
    if kind == 1:
        name = draw(
            st.sampled_from(
                [
                    "fracture",
                    "imaging_acute",
                    "high_fracture_risk",
                    "osteomyelitis",
                    "epidural_extension",
                ]
            )
        )
        level[name] = draw(bad_boolean)
        return case, at + name
    if kind == 2:
        level["pain_nrs"] = draw(
            st.one_of(
                bad_number,
                st.sampled_from([11, -1, 7.5, 0.1, 10.000001, 100]),
                st.integers(11, 10**30),
                st.integers(-(10**30), -1),
            )
        )
        return case, at + "pain_nrs"
    if kind == 3:
        level["canal_compromise_pct"] = draw(
            st.one_of(
                bad_number,
                st.floats(100, 1e300, exclude_min=True),
                st.floats(max_value=0, exclude_max=True, allow_infinity=False, allow_nan=False),
            )
        )
        return case, at + "canal_compromise_pct"
    if kind == 4:
        case["inr"] = draw(st.one_of(bad_number, st.floats(max_value=0, allow_nan=False)))
        return case, "inr"
    if kind == 5:
        case["platelets"] = draw(
            st.one_of(bad_number, st.floats(max_value=0, exclude_max=True, allow_nan=False))
        )
        return case, "platelets"
    if kind == 6:
        level["fracture_date"] = draw(bad_date)
        return case, at + "fracture_date"
    if kind == 7:
        case["assessed_on"] = draw(bad_date)
        return case, "assessed_on"
    if kind == 8:
        days = draw(st.integers(1, 4000))
        level["fracture_date"] = (reference + timedelta(days=days)).isoformat()
        return case, at + "fracture_date"
    if kind == 9:
        days = draw(st.integers(1, 4000))
        case["patient"] = {"date_of_birth": (reference + timedelta(days=days)).isoformat()}
        return case, "patient.date_of_birth"
    if kind == 10:
        level["etiology"] = draw(st.sampled_from(["tumour", "Osteoporosis", "", 1, True, []]))
        return case, at + "etiology"
    if kind == 11:
        case["radicular_cause"] = draw(st.sampled_from(["disc", "", 0, False, ["x"]]))
        return case, "radicular_cause"
    if kind == 12:
        case["patient"] = {"sex": draw(st.sampled_from(["f", "F", "", 1, True]))}
        return case, "patient.sex"
    if kind == 13:
        case["allergies"] = draw(
            st.sampled_from(
                ["cement", ["latex"], ["cement", "cement"], [1], [None], [["cement"]], {}, True, 0]
            )
        )
        return case, "allergies"
    if kind == 14:
        key = draw(st.sampled_from(["pain_nrs", "Coagulopathy", "level", "notes", ""]))
        case[key] = draw(st.sampled_from([None, 1, "x"]))
        return case, key
    if kind == 15:
        key = draw(st.sampled_from(["pain_nr", "Fracture", "inr", "notes", "levels"]))
        level[key] = None
        return case, at + key
    if kind == 16:
        case.setdefault("patient", {})["name"] = "A. Patient"
        return case, "patient.name"
    if kind == 17:
        case["levels"].append({"level": level["level"]})
        return case, f"levels[{len(case['levels']) - 1}].level"
    if kind == 18:
        level["level"] = draw(
            st.sampled_from(
                ["L6", "C0", "C8", "T13", "S6", "l1", "L 1", "L1 ", "", 1, None, ["L1"]]
            )
        )
        return case, at + "level"
    if kind == 19:
        del level["level"]
        return case, at + "level"
    if kind == 20:
        mutation = draw(st.sampled_from(["empty", "null", "absent", "text", "object"]))
        if mutation == "absent":
            del case["levels"]
        else:
            case["levels"] = {"empty": [], "null": None, "text": "L1", "object": {}}[mutation]
        return case, "levels"
    if kind == 21:
        case["levels"][index] = draw(st.sampled_from(["L1", None, 1, []]))
        return case, f"levels[{index}]"
    if kind == 22:
        case["patient"] = draw(st.sampled_from([None, "female", [], 0]))
        return case, "patient"
    if kind == 23:
        return draw(st.sampled_from([[case], "case", None, 1, 1.5, True])), ""
    if kind == 24:
        level["pain_nrs"] = draw(st.sampled_from(["7", "seven", "7.0"]))
        return case, at + "pain_nrs"
    if kind == 25:
        case["patient"] = {"date_of_birth": draw(bad_date)}
        return case, "patient.date_of_birth"
    if kind == 26:
        case["inr"] = draw(st.sampled_from(["1.2", "normal", [1.2]]))
        return case, "inr"
    level["canal_compromise_pct"] = draw(st.sampled_from(["35%", "35", "high"]))
    return case, at + "canal_compromise_pct"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invalid_mutations())
def test_every_invalid_mutation_is_refused_naming_the_field(mutation):
    case, path = mutation
    with pytest.raises(CaseValidationError) as caught:
        evaluate(case, today=TODAY)
    fields = [error.field for error in caught.value.errors]
    assert path in fields
    for error in caught.value.errors:
        assert error.message.endswith((".", "?")) and "\n" not in error.message
