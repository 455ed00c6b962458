"""The SVG charts: well-formed XML carrying every data point."""

import pytest
from django.utils import translation

from outcomes.charts import cohort_chart_svg, pain_chart_svg
from outcomes.points import CohortPoint, PainPoint

from .svg import SVG, chart_points, parse_svg


def chart_groups(root):
    return [group for group in root.iter(f"{SVG}g") if "point" in group.get("class", "")]


def points_of(svg: str) -> dict[str, dict[str, str]]:
    root = parse_svg(svg)
    assert root.tag == f"{SVG}svg"
    return chart_points(root)


def test_pain_chart_is_valid_svg_with_a_point_per_score_and_a_text_description():
    svg = pain_chart_svg(
        [PainPoint("month_1", 3, "2026-02-14"), PainPoint("baseline", 8), PainPoint("day_1", 5)]
    )

    points = points_of(svg)
    root = parse_svg(svg)
    assert {slot: point["data-nrs"] for slot, point in points.items()} == {
        "baseline": "8",
        "day_1": "5",
        "month_1": "3",
    }
    assert root.find(f"{SVG}desc").text == (
        "Baseline: pain NRS 8; 1 day: pain NRS 5; 1 month: pain NRS 3"
    )
    assert root.get("role") == "img"


def test_pain_chart_points_are_drawn_higher_for_more_pain_and_later_to_the_right():
    svg = pain_chart_svg([PainPoint("baseline", 8), PainPoint("month_12", 2)])
    circles = list(parse_svg(svg).iter(f"{SVG}circle"))

    (baseline_x, baseline_y), (year_x, year_y) = (
        (float(circle.get("cx")), float(circle.get("cy"))) for circle in circles
    )
    assert baseline_x < year_x
    assert baseline_y < year_y  # SVG y grows downwards: NRS 8 sits above NRS 2


def test_pain_chart_marks_the_clinically_important_threshold_below_baseline():
    svg = pain_chart_svg([PainPoint("baseline", 8)])

    assert "clinically important improvement" in svg
    assert len([e for e in parse_svg(svg).iter(f"{SVG}line") if e.get("class")]) == 1


def test_empty_pain_chart_is_still_valid_and_says_so():
    root = parse_svg(pain_chart_svg([]))

    assert root.find(f"{SVG}desc").text == "No pain scores recorded yet."


def test_cohort_chart_carries_median_and_quartiles_of_each_interval():
    svg = cohort_chart_svg(
        [CohortPoint("baseline", 5, 8, 7, 9), CohortPoint("month_1", 5, 5, 3, 6)]
    )

    points = points_of(svg)
    assert points["month_1"]["data-median"] == "5"
    assert (points["month_1"]["data-q1"], points["month_1"]["data-q3"]) == ("3", "6")
    assert points["baseline"]["data-n"] == "5"


def test_unknown_slot_is_refused():
    with pytest.raises(ValueError, match="Unknown chart slot"):
        pain_chart_svg([PainPoint("month_24", 1)])


def test_the_chart_markup_is_escaped_by_the_template_whatever_it_carries():
    hostile = "<script>alert(\"x\")</script> & 'q'"
    svg = pain_chart_svg(
        [PainPoint("baseline", 8, hostile), PainPoint("month_1", 3, hostile, True)], title=hostile
    )

    root = parse_svg(svg)  # still well-formed: nothing the values carry became markup
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == hostile
    assert [group.find(f"{SVG}title").text for group in chart_groups(root)] == [
        f"Baseline: pain NRS 8 ({hostile})",
        f"1 month: pain NRS 3, patient-reported ({hostile})",
    ]


def test_in_italian_the_chart_writes_numbers_with_a_comma_and_coordinates_with_a_point():
    with translation.override("it"):
        svg = cohort_chart_svg([CohortPoint("baseline", 5, 8.5, 7.25, 9)])

    point = parse_svg(svg).find(f"{SVG}g")
    assert point.find(f"{SVG}title").text == "Basale: mediana 8,5, IQR 7,25–9, n = 5"
    assert point.get("data-median") == "8.5"
    assert point.find(f"{SVG}circle").get("cy") == "56.1"
    assert [text.text for text in point.iter(f"{SVG}text")][0] == "8,5"
