"""Cases for the engine's tests: a valid base case, the shared examples, generated cases."""

import copy
import json
import os
from datetime import date, timedelta
from pathlib import Path

from hypothesis import strategies as st

from eligibility.engine import DEFAULT_THRESHOLDS, Thresholds
from eligibility.engine.facts import (
    CASE_FIELDS,
    ETIOLOGIES,
    LEVEL_FIELDS,
    LEVEL_LABELS,
    RADICULAR_CAUSES,
)

REPO = Path(__file__).resolve().parents[3]
SHARED_DIR = Path(os.environ.get("VPSELECT_SHARED_DIR") or REPO.parent / "shared").resolve()
EXAMPLES_DIR = SHARED_DIR / "clinical" / "examples"
SCHEMA_PATH = SHARED_DIR / "clinical" / "case.schema.json"
SEED_PATH = SHARED_DIR / "seed" / "vertebroplasty.txt"
SHARED_HELP = (
    "The shared clinical files are missing: expected {path}. Check out shared/ beside the "
    "repository or set VPSELECT_SHARED_DIR."
)

ASSESSED_ON = date(2026, 11, 20)
TODAY = date(2026, 11, 24)

ELIGIBLE_EXAMPLE = "01-eligible-osteoporotic-L2.json"


def example_case(name: str) -> dict:
    """The case of one of the shared examples, as a new dict each call."""
    path = EXAMPLES_DIR / name
    if not path.is_file():
        raise FileNotFoundError(SHARED_HELP.format(path=path))
    return json.loads(path.read_text())["case"]


# Example 01 of the shared examples: an eligible osteoporotic L2 with every input known.
BASE_CASE: dict = example_case(ELIGIBLE_EXAMPLE)


def make_case(*, levels: list[dict] | None = None, **fields) -> dict:
    """The base case with top-level fields replaced; `levels` are merged into the base level."""
    case = copy.deepcopy(BASE_CASE)
    case.update(fields)
    if levels is not None:
        case["levels"] = [{**BASE_CASE["levels"][0], **level} for level in levels]
    return case


def make_level_case(**level_fields) -> dict:
    """The base case with fields of its one level replaced."""
    return make_case(levels=[level_fields])


def finding(result: dict, rule_id: str, level: int = 0) -> dict:
    return next(f for f in result["levels"][level]["findings"] if f["rule"] == rule_id)


# --- Generated cases ------------------------------------------------------------------------
# Finite value lists, boundaries included, keep generation cheap: one draw per field.


class _AbsentType:
    def __repr__(self) -> str:
        return "<absent>"

    def __deepcopy__(self, memo: dict) -> "_AbsentType":
        return self


_ABSENT = _AbsentType()


def _maybe(*values):
    """A field's value from `values`, null, or (marked _ABSENT) left out."""
    return st.sampled_from([*values, None, _ABSENT])


def _drop_absent(mapping: dict) -> dict:
    return {k: v for k, v in mapping.items() if v is not _ABSENT}


TRI = _maybe(True, False)
# Days before the reference date: the one-year boundary and around it.
FRACTURE_AGES = (0, 1, 30, 200, 364, 365, 366, 367, 800, 3000)
ASSESSMENT_DATES = (date(2020, 2, 29), date(2025, 1, 1), ASSESSED_ON, TODAY)


@st.composite
def level_documents(draw, label: str, reference: date) -> dict:
    age = draw(_maybe(*FRACTURE_AGES))
    fields = {
        "level": label,
        "etiology": draw(_maybe(*ETIOLOGIES)),
        "pain_nrs": draw(_maybe(*range(11))),
        "fracture": draw(TRI),
        "fracture_date": age
        if age in (None, _ABSENT)
        else (reference - timedelta(days=age)).isoformat(),
        "imaging_acute": draw(TRI),
        "high_fracture_risk": draw(TRI),
        "osteomyelitis": draw(TRI),
        "canal_compromise_pct": draw(_maybe(0, 5, 20, 20.5, 21, 35.0, 100)),
        "epidural_extension": draw(TRI),
    }
    return _drop_absent(fields)


@st.composite
def case_documents(draw, max_levels: int = 3) -> dict:
    """Valid cases of every shape: any input absent, null or given; 1 to max_levels levels."""
    assessed_on = draw(_maybe(*ASSESSMENT_DATES))
    reference = assessed_on if isinstance(assessed_on, date) else TODAY
    labels = draw(
        st.lists(st.sampled_from(LEVEL_LABELS), min_size=1, max_size=max_levels, unique=True)
    )
    patient = draw(
        st.sampled_from(
            [
                _ABSENT,
                {},
                {"sex": None},
                {"sex": "female", "date_of_birth": "1946-03-14"},
                {"sex": "male", "date_of_birth": None},
                {"date_of_birth": reference.isoformat()},
            ]
        )
    )
    case = {
        "assessed_on": assessed_on.isoformat() if isinstance(assessed_on, date) else assessed_on,
        "patient": copy.deepcopy(patient),
        "pain_controlled_by_medical_therapy": draw(TRI),
        "coagulopathy": draw(TRI),
        "coagulopathy_corrected": draw(TRI),
        "inr": draw(_maybe(0.9, 1.0, 1.5, 1.6, 2.4)),
        "platelets": draw(_maybe(0, 20, 49, 50, 49.5, 240)),
        "systemic_infection": draw(TRI),
        "local_infection": draw(TRI),
        "allergies": copy.deepcopy(draw(_maybe([], ["cement"], ["contrast", "other"]))),
        "radicular_pain": draw(TRI),
        "radicular_cause": draw(_maybe(*RADICULAR_CAUSES)),
        "levels": [draw(level_documents(label, reference)) for label in labels],
    }
    return _drop_absent(case)


def threshold_sets():
    """Defaults and a few clinic-style overrides, boundary values included."""
    return st.sampled_from(
        [
            DEFAULT_THRESHOLDS,
            Thresholds(severe_pain_nrs=6, inr_max=1.8, platelets_min=30),
            Thresholds(pain_present_nrs=0, canal_compromise_max_pct=30, old_fracture_days=180),
            Thresholds(severe_pain_nrs=0, old_fracture_days=0, canal_compromise_max_pct=0),
            Thresholds(severe_pain_nrs=10, pain_present_nrs=10, canal_compromise_max_pct=100),
        ]
    )


def absent_paths(case: dict) -> list[str]:
    """The clinical inputs of a case that are absent or null, as paths, in input order."""
    paths = [
        name
        for name in CASE_FIELDS
        if name not in ("assessed_on", "patient", "levels") and case.get(name) is None
    ]
    for index, level in enumerate(case["levels"]):
        paths += [f"levels[{index}].{name}" for name in LEVEL_FIELDS[1:] if level.get(name) is None]
    return paths
