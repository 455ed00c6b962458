"""The decision order of a level and of a referral (no database)."""

import pytest

from eligibility.engine import evaluate

from .builders import TODAY, make_case, make_level_case

# A level with IND-OSTEOPOROSIS met and every contraindication known and not met.
ELIGIBLE = {"level": "L1"}
REVIEW = {"level": "L2", "canal_compromise_pct": 35}
INCOMPLETE = {"level": "L3", "osteomyelitis": None}
NOT_ELIGIBLE = {"level": "L4", "osteomyelitis": True}


def level_recommendation(case: dict) -> str:
    return evaluate(case, today=TODAY)["levels"][0]["recommendation"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            make_level_case(), "eligible", id="indication_met_nothing_against_is_eligible"
        ),
        pytest.param(
            make_level_case(osteomyelitis=True, canal_compromise_pct=35, pain_nrs=None),
            "not_eligible",
            id="met_absolute_contraindication_wins_over_unknowns_and_relatives",
        ),
        pytest.param(
            make_level_case(pain_nrs=3, osteomyelitis=None),
            "not_eligible",
            id="no_indication_is_not_eligible_even_with_unknown_contraindications",
        ),
        pytest.param(
            make_level_case(pain_nrs=None),
            "incomplete",
            id="unknown_indication_and_none_met_is_incomplete",
        ),
        pytest.param(
            make_level_case(osteomyelitis=None),
            "incomplete",
            id="unknown_absolute_contraindication_is_incomplete",
        ),
        pytest.param(
            make_level_case(
                canal_compromise_pct=35, epidural_extension=None, etiology="myeloma", pain_nrs=4
            ),
            "incomplete",
            id="unknown_relative_contraindication_beats_met_relative",
        ),
        pytest.param(
            make_level_case(canal_compromise_pct=35),
            "review",
            id="met_relative_contraindication_is_review",
        ),
        pytest.param(
            make_level_case(fracture_date="2024-05-01", imaging_acute=False),
            "review",
            id="old_healed_fracture_is_review",
        ),
        pytest.param(
            make_level_case(pain_nrs=0, imaging_acute=False, fracture_date="2024-05-01"),
            "not_eligible",
            id="asymptomatic_stable_and_old_stable_both_met_is_not_eligible",
        ),
    ],
)
def test_level_decision_order(case, expected):
    assert level_recommendation(case) == expected


@pytest.mark.parametrize(
    ("levels", "recommendation", "flagged"),
    [
        pytest.param([NOT_ELIGIBLE, ELIGIBLE], "eligible", False, id="eligible_level_wins"),
        pytest.param(
            [ELIGIBLE, REVIEW],
            "eligible",
            True,
            id="review_level_flags_even_if_another_is_eligible",
        ),
        pytest.param([INCOMPLETE, REVIEW], "review", True, id="review_beats_incomplete"),
        pytest.param(
            [NOT_ELIGIBLE, INCOMPLETE], "incomplete", False, id="incomplete_beats_not_eligible"
        ),
        pytest.param(
            [NOT_ELIGIBLE, NOT_ELIGIBLE | {"level": "L5"}],
            "not_eligible",
            False,
            id="all_not_eligible",
        ),
    ],
)
def test_referral_takes_most_favourable_level(levels, recommendation, flagged):
    result = evaluate(make_case(levels=levels), today=TODAY)
    assert result["recommendation"] == recommendation
    assert result["flagged"] is flagged


def test_levels_keep_input_order():
    result = evaluate(make_case(levels=[REVIEW, ELIGIBLE, NOT_ELIGIBLE]), today=TODAY)
    assert [level["level"] for level in result["levels"]] == ["L2", "L1", "L4"]
    assert [level["recommendation"] for level in result["levels"]] == [
        "review",
        "eligible",
        "not_eligible",
    ]
