"""The findings panel, verdict first: the deciding findings first with their kind in colour,
icon and words, every other finding folded, every value escaped."""

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from eligibility.conf import get_thresholds
from eligibility.engine import evaluate

from .conftest import (
    level_labels,
    load_example,
    read_findings,
    result_findings,
    shared_examples,
    shift_case_to,
)

HOSTILE = "<script>alert(\"x\")</script> & 'q'"
HOSTILE_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;"


def _result(name: str) -> dict:
    today = timezone.localdate()
    path = next(path for path in shared_examples() if path.stem == name)
    case = shift_case_to(load_example(path)["case"], today)
    return evaluate(case, today=today, thresholds=get_thresholds())


def _panel(result: dict, **context):
    html = render_to_string("includes/_findings.html", {"result": result, **context})
    return html, read_findings(html)


@pytest.mark.parametrize(
    "result",
    [
        {},
        {"levels": []},
        {"levels": [{"level": "L1"}]},
        {"levels": [{"level": "L1", "findings": [{"kind": "absolute", "status": None}]}]},
        {"levels": ["L1", {"level": "L2", "findings": ["x"]}]},
    ],
)
def test_the_panel_renders_results_with_parts_missing(result):
    html, panel = _panel(result)
    assert 'data-testid="findings"' in html


def test_the_panel_escapes_every_value_of_a_stored_result():
    finding = {"kind": "absolute", "status": "met", "rule": HOSTILE, "text": HOSTILE}
    finding["reason"] = HOSTILE
    result = {
        "recommendation": "not_eligible",
        "ruleset_version": HOSTILE,
        "levels": [{"level": HOSTILE, "recommendation": "not_eligible", "findings": [finding]}],
    }
    html, _ = _panel(result)
    assert HOSTILE not in html and "<script>" not in html
    assert HOSTILE_ESCAPED in html


@pytest.mark.parametrize("example", shared_examples(), ids=lambda path: path.stem)
def test_the_panel_shows_every_finding_of_the_result_once(example):
    result = _result(example.stem)
    html, panel = _panel(result)
    assert panel.recommendation == result["recommendation"]
    assert panel.findings(level_labels(result)) == result_findings(result)
    assert f"Ruleset {result['ruleset_version']}" in html
    if len(result["levels"]) > 1:
        assert panel.level_recommendations == {
            level["level"]: level["recommendation"] for level in result["levels"]
        }


def test_a_review_lists_the_relative_contraindication_first_then_the_indication():
    html, panel = _panel(_result("02-review-retropulsion"))
    deciding = [(line["rule"], line["tone"]) for line in panel.lines if line["deciding"]]
    assert deciding == [("RCI-RETROPULSION", "warning"), ("IND-OSTEOPOROSIS", "success")]
    assert "Engine recommends: a radiologist's review" in html
    others = [line for line in panel.lines if not line["deciding"]]
    assert others and all(line["status"] == "not_met" for line in others)
    assert f"{len(others)} other rules checked, not met</summary>" in html


def test_a_met_absolute_contraindication_is_danger_and_comes_first():
    html, panel = _panel(_result("03-not-eligible-infection"))
    first = panel.lines[0]
    assert (first["rule"], first["kind"], first["tone"], first["deciding"]) == (
        "CI-INFECTION",
        "absolute",
        "danger",
        True,
    )
    assert "Absolute contraindication:\n    met" in html
    assert 'class="badge finding-badge-danger"' in html


def test_no_indication_lists_the_indications_not_met_as_the_reason():
    _, panel = _panel(_result("06-not-eligible-no-indication"))
    deciding = [line for line in panel.lines if line["deciding"]]
    assert deciding and {line["kind"] for line in deciding} == {"indication"}
    assert {line["status"] for line in deciding} == {"not_met"}


def test_an_unknown_finding_is_neutral_and_links_its_missing_answer():
    result = _result("04-incomplete-missing-coagulation")
    links = {path: f"#div_{path}" for path in result["missing"]}
    html, panel = _panel(result, field_links=links)
    first = panel.lines[0]
    assert (first["status"], first["tone"], first["deciding"]) == ("unknown", "neutral", True)
    assert 'href="#div_coagulopathy" data-missing-target="#div_coagulopathy"' in html
    assert "No recommendation yet: answers are missing" in html


def test_eligible_reads_as_the_engines_recommendation_not_an_acceptance():
    html, panel = _panel(_result("01-eligible-osteoporotic-L2"))
    assert "Engine recommends: eligible for referral" in html
    assert "not an acceptance" in html
    assert [line["tone"] for line in panel.lines if line["deciding"]] == ["success"]


def test_each_finding_links_to_its_evidence():
    html, panel = _panel(_result("02-review-retropulsion"))
    for line in panel.lines:
        assert f'href="/rules/#rule-{line["rule"]}"' in html
