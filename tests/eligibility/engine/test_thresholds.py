"""Named thresholds: defaults, sources, overrides by the spec's names (no database)."""

import math

import pytest

from eligibility.engine import (
    DEFAULT_THRESHOLDS,
    THRESHOLD_NAMES,
    THRESHOLD_SOURCES,
    Thresholds,
    evaluate,
)

from .builders import TODAY, finding, make_level_case


def test_defaults_are_the_spec_table():
    assert DEFAULT_THRESHOLDS.as_named() == {
        "SEVERE_PAIN_NRS": 7,
        "PAIN_PRESENT_NRS": 1,
        "INR_MAX": 1.5,
        "PLATELETS_MIN": 50,
        "CANAL_COMPROMISE_MAX_PCT": 20,
        "OLD_FRACTURE_DAYS": 365,
    }
    assert Thresholds() == DEFAULT_THRESHOLDS


def test_every_threshold_has_its_source():
    assert set(THRESHOLD_SOURCES) == set(THRESHOLD_NAMES)
    assert "SIR 2019" in THRESHOLD_SOURCES["INR_MAX"]
    assert "VAPOUR" in THRESHOLD_SOURCES["SEVERE_PAIN_NRS"]


def test_overrides_use_the_spec_names():
    thresholds = Thresholds.from_overrides({"SEVERE_PAIN_NRS": 6, "INR_MAX": 1.8})
    assert thresholds.severe_pain_nrs == 6
    assert thresholds.inr_max == 1.8
    assert thresholds.platelets_min == 50
    assert Thresholds.from_overrides({}) is DEFAULT_THRESHOLDS
    assert Thresholds.from_overrides(None) is DEFAULT_THRESHOLDS


def test_an_override_changes_the_decision():
    case = make_level_case(pain_nrs=6)
    assert finding(evaluate(case, today=TODAY), "IND-OSTEOPOROSIS")["status"] == "not_met"
    lenient = Thresholds.from_overrides({"SEVERE_PAIN_NRS": 6})
    result = evaluate(case, today=TODAY, thresholds=lenient)
    assert finding(result, "IND-OSTEOPOROSIS")["status"] == "met"
    assert "severe threshold 6" in finding(result, "IND-OSTEOPOROSIS")["reason"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SEVERE_PAIN": 6}, "Unknown threshold 'SEVERE_PAIN'"),
        ({"severe_pain_nrs": 6}, "Unknown threshold 'severe_pain_nrs'"),
        ({"SEVERE_PAIN_NRS": "7"}, "SEVERE_PAIN_NRS must be a number; got '7'."),
        ({"SEVERE_PAIN_NRS": 6.5}, "SEVERE_PAIN_NRS must be a whole number; got 6.5."),
        ({"SEVERE_PAIN_NRS": 11}, "SEVERE_PAIN_NRS must be at least 0 and at most 10; got 11."),
        ({"INR_MAX": True}, "INR_MAX must be a number; got True."),
        ({"INR_MAX": 0}, "INR_MAX must be greater than 0; got 0."),
        ({"PLATELETS_MIN": math.nan}, "PLATELETS_MIN must be at least 0; got nan."),
        ({"CANAL_COMPROMISE_MAX_PCT": 120}, "CANAL_COMPROMISE_MAX_PCT must be at least 0 and"),
        ({"OLD_FRACTURE_DAYS": -1}, "OLD_FRACTURE_DAYS must be at least 0"),
        (["SEVERE_PAIN_NRS"], "must be a mapping"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_bad_overrides_are_refused(overrides, message):
    with pytest.raises(ValueError) as caught:
        Thresholds.from_overrides(overrides)
    assert message in str(caught.value)


def test_thresholds_are_frozen_and_hashable():
    with pytest.raises(AttributeError):
        DEFAULT_THRESHOLDS.inr_max = 2  # type: ignore[misc]
    assert hash(Thresholds()) == hash(DEFAULT_THRESHOLDS)
