"""The findings panel's level sections: every level and finding of the result, each value
escaped."""

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

from eligibility.conf import get_thresholds
from eligibility.engine import evaluate

from .conftest import load_example, read_findings, result_findings, shared_examples, shift_case_to

LEVEL_SECTIONS = "{% load findings %}{% finding_sections result %}"
HOSTILE = "<script>alert(\"x\")</script> & 'q'"
HOSTILE_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;"


def _shared_results() -> list[dict]:
    today = timezone.localdate()
    return [
        evaluate(
            shift_case_to(load_example(path)["case"], today),
            today=today,
            thresholds=get_thresholds(),
        )
        for path in shared_examples()
    ]


@pytest.mark.parametrize(
    "result",
    [
        {},
        {"levels": []},
        {"levels": [{"level": "L1"}]},
        {"levels": [{"level": "L1", "findings": [{"kind": "absolute", "status": None}]}]},
    ],
)
def test_level_sections_render_results_with_parts_missing(result):
    html = Template(LEVEL_SECTIONS).render(Context({"result": result}))
    assert html.count("<section") == len(result.get("levels", []))


@pytest.mark.parametrize("autoescape", [True, False])
def test_level_sections_escape_every_value_even_with_autoescape_off(autoescape):
    result = {
        "levels": [
            {
                "level": HOSTILE,
                "recommendation": HOSTILE,
                "findings": [
                    {
                        "kind": HOSTILE,
                        "rule": HOSTILE,
                        "status": HOSTILE,
                        "text": HOSTILE,
                        "reason": HOSTILE,
                    },
                ],
            }
        ]
    }
    html = Template(LEVEL_SECTIONS).render(Context({"result": result}, autoescape=autoescape))
    assert str(HOSTILE) not in html and "<script>" not in html
    # level ×3 (label, data attribute, heading), recommendation ×3 (data attribute, badge
    # class, its label), kind, rule ×2, status ×3 (class, data attribute, its label), text,
    # reason.
    assert html.count(HOSTILE_ESCAPED) == 14


def test_the_panel_shows_every_level_and_finding_of_the_result():
    for result in _shared_results():
        html = render_to_string("includes/_findings.html", {"result": result})
        panel = read_findings(html)
        assert panel.recommendation == result["recommendation"]
        assert panel.levels == result_findings(result)
        assert f"Ruleset {result['ruleset_version']}" in html
