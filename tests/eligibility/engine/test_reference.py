"""The engine against a second, naive reading of the spec (no database).

The reference below transcribes the spec's rule tables literally with Kleene helpers, and
computes `missing` by brute force on the case document itself. The engine's inlined
predicates, patient-level sharing and memoised probing must agree with it everywhere.
"""

import copy
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings

from eligibility.engine import (
    DEFAULT_THRESHOLDS,
    NEVER_MISSING,
    RULES,
    Thresholds,
    evaluate,
    validate_case,
)
from eligibility.engine.facts import ETIOLOGIES, RADICULAR_CAUSES

from .builders import TODAY, case_documents, threshold_sets

# --- Kleene logic, spelled out --------------------------------------------------------------


def AND(*parts):
    if any(part is False for part in parts):
        return False
    if any(part is None for part in parts):
        return None
    return True


def OR(*parts):
    if any(part is True for part in parts):
        return True
    if any(part is None for part in parts):
        return None
    return False


def NOT(part):
    return None if part is None else not part


def EQ(value, wanted):
    return None if value is None else value == wanted


def IN(value, options):
    return None if value is None else value in options


def GE(value, bound):
    return None if value is None else value >= bound


def GT(value, bound):
    return None if value is None else value > bound


def LT(value, bound):
    return None if value is None else value < bound


def coagulopathy(c, t):
    met = OR(
        AND(EQ(c.coagulopathy, True), EQ(c.coagulopathy_corrected, False)),
        GT(c.inr, t.inr_max),
        LT(c.platelets, t.platelets_min),
    )
    if met is True:
        return True
    unknown = c.coagulopathy is None or (
        c.coagulopathy is True and c.coagulopathy_corrected is None
    )
    return None if unknown else False


def age(c, lv):
    return None if lv.fracture_date is None else (c.assessed_on - lv.fracture_date).days


# The spec's "met when" column, rule by rule.
SPEC = {
    "IND-OSTEOPOROSIS": lambda c, lv, t: AND(
        EQ(lv.etiology, "osteoporosis"), lv.fracture, GE(lv.pain_nrs, t.severe_pain_nrs)
    ),
    "IND-TUMOR": lambda c, lv, t: AND(
        IN(lv.etiology, {"metastasis", "myeloma"}),
        GE(lv.pain_nrs, t.pain_present_nrs),
        OR(lv.fracture, lv.high_fracture_risk),
    ),
    "IND-ANGIOMA": lambda c, lv, t: AND(
        EQ(lv.etiology, "hemangioma"), GE(lv.pain_nrs, t.pain_present_nrs)
    ),
    "CI-ASYMPTOMATIC-STABLE": lambda c, lv, t: AND(
        lv.fracture, EQ(lv.pain_nrs, 0), EQ(lv.imaging_acute, False)
    ),
    "CI-EFFECTIVE-THERAPY": lambda c, lv, t: c.pain_controlled_by_medical_therapy,
    "CI-OSTEOMYELITIS": lambda c, lv, t: lv.osteomyelitis,
    "CI-COAGULOPATHY": lambda c, lv, t: coagulopathy(c, t),
    "CI-ACUTE-TRAUMA": lambda c, lv, t: AND(
        EQ(lv.etiology, "traumatic"), lv.fracture, lv.imaging_acute
    ),
    "CI-PROPHYLAXIS": lambda c, lv, t: AND(EQ(lv.etiology, "osteoporosis"), NOT(lv.fracture)),
    "CI-ALLERGY": lambda c, lv, t: None if c.allergies is None else len(c.allergies) > 0,
    "CI-INFECTION": lambda c, lv, t: OR(c.systemic_infection, c.local_infection),
    "RCI-RADICULOPATHY": lambda c, lv, t: AND(
        c.radicular_pain, EQ(c.radicular_cause, "unrelated_compression")
    ),
    "RCI-RETROPULSION": lambda c, lv, t: AND(
        lv.fracture, GT(lv.canal_compromise_pct, t.canal_compromise_max_pct)
    ),
    "RCI-EPIDURAL": lambda c, lv, t: AND(
        IN(lv.etiology, {"metastasis", "myeloma", "hemangioma"}), lv.epidural_extension
    ),
    "RCI-OLD-STABLE": lambda c, lv, t: AND(
        lv.fracture, EQ(lv.imaging_acute, False), GT(age(c, lv), t.old_fracture_days)
    ),
}
STATUS = {True: "met", False: "not_met", None: "unknown"}
ORDER = ["eligible", "review", "incomplete", "not_eligible"]


def decide(found: dict[str, str]) -> str:
    kinds = {rule.id: rule.kind for rule in RULES}
    of = lambda kind: [s for r, s in found.items() if kinds[r] == kind]  # noqa: E731
    if "met" in of("absolute"):
        return "not_eligible"
    if all(s == "not_met" for s in of("indication")):
        return "not_eligible"
    if "met" not in of("indication") or "unknown" in of("absolute") + of("relative"):
        return "incomplete"
    if "met" in of("relative"):
        return "review"
    return "eligible"


def reference_result(case: dict, thresholds: Thresholds) -> dict:
    facts = validate_case(case, today=TODAY)
    levels = []
    for level in facts.levels:
        found = {rule_id: STATUS[p(facts, level, thresholds)] for rule_id, p in SPEC.items()}
        levels.append({"level": level.level, "recommendation": decide(found), "found": found})
    recommendations = [level["recommendation"] for level in levels]
    return {
        "recommendation": min(recommendations, key=ORDER.index),
        "flagged": "review" in recommendations,
        "levels": levels,
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents(), threshold_sets())
def test_engine_agrees_with_a_literal_reading_of_the_spec(case, thresholds):
    expected = reference_result(case, thresholds)
    result = evaluate(case, today=TODAY, thresholds=thresholds)
    assert result["recommendation"] == expected["recommendation"]
    assert result["flagged"] == expected["flagged"]
    for level, wanted in zip(result["levels"], expected["levels"], strict=True):
        assert {f["rule"]: f["status"] for f in level["findings"]} == wanted["found"]
        assert level["recommendation"] == wanted["recommendation"]


# --- `missing` by brute force on the document -----------------------------------------------


def candidates(name: str, case: dict, thresholds: Thresholds) -> list:
    reference = date.fromisoformat(case["assessed_on"]) if case.get("assessed_on") else TODAY
    if name == "fracture_date":
        older = reference - timedelta(days=thresholds.old_fracture_days + 1)
        return [reference.isoformat(), older.isoformat()]
    return {
        "etiology": list(ETIOLOGIES),
        "radicular_cause": list(RADICULAR_CAUSES),
        "pain_nrs": list(range(11)),
        "canal_compromise_pct": [0, 100],
        "allergies": [[], ["cement"]],
    }.get(name, [True, False])


def brute_force_missing(case: dict, thresholds: Thresholds) -> list[str]:
    result = evaluate(case, today=TODAY, thresholds=thresholds)
    listed = set()
    for index, level in enumerate(result["levels"]):
        for position, found in enumerate(level["findings"]):
            if found["status"] != "unknown":
                continue
            for name in RULES[position].inputs:
                if name in NEVER_MISSING:
                    continue
                per_level = name.startswith("levels[].")
                field = name.removeprefix("levels[].")
                holder = case["levels"][index] if per_level else case
                if holder.get(field) is not None:
                    continue
                path = f"levels[{index}].{field}" if per_level else field
                for value in candidates(field, case, thresholds):
                    changed = copy.deepcopy(case)
                    (changed["levels"][index] if per_level else changed)[field] = value
                    after = evaluate(changed, today=TODAY, thresholds=thresholds)
                    if after["levels"][index]["findings"][position]["status"] != "unknown":
                        listed.add(path)
                        break
    return sorted(listed, key=_input_order)


def _input_order(path: str):
    from eligibility.engine.facts import CASE_FIELDS, LEVEL_FIELDS

    if path.startswith("levels["):
        index, field = path[len("levels[") :].split("].")
        return (1, int(index), LEVEL_FIELDS.index(field))
    return (0, 0, CASE_FIELDS.index(path))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents(max_levels=2), threshold_sets())
def test_missing_agrees_with_brute_force_substitution(case, thresholds):
    result = evaluate(case, today=TODAY, thresholds=thresholds)
    assert result["missing"] == brute_force_missing(case, thresholds)


def test_missing_for_default_thresholds_on_an_empty_level():
    case = {"levels": [{"level": "T8"}]}
    assert evaluate(case, today=TODAY)["missing"] == brute_force_missing(case, DEFAULT_THRESHOLDS)
