"""The findings panel's level sections, written in Python, give the markup the template gave."""

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

from eligibility.conf import get_thresholds
from eligibility.engine import evaluate

from .conftest import load_example, read_findings, result_findings, shared_examples, shift_case_to

# The level loop includes/_findings.html had before `{% finding_sections %}`, verbatim.
FORMER_LEVEL_LOOP = """{% load findings %}
  {% for level in result.levels %}
  <section class="mb-3" aria-label="Findings for {{ level.level }}" data-level="{{ level.level }}" data-level-recommendation="{{ level.recommendation }}">
    <h3 class="h6 d-flex align-items-center gap-2 border-bottom pb-1 mb-1">
      {{ level.level }} <span class="badge badge-rec-{{ level.recommendation }}">{{ level.recommendation|recommendation_label }}</span>
    </h3>
    {% regroup level.findings by kind as kinds %}
    {% for kind in kinds %}
    <p class="small fw-semibold text-body-secondary mt-2 mb-1">{{ kind.grouper|kind_label }}</p>
    <ul class="list-unstyled mb-0">
      {% for finding in kind.list %}
      <li class="finding finding-{{ finding.status }} small ps-2 py-1 mb-1" data-rule="{{ finding.rule }}" data-status="{{ finding.status }}">
        <span class="badge {% if finding.status == 'met' %}text-bg-primary{% elif finding.status == 'unknown' %}text-bg-secondary{% else %}text-bg-light border{% endif %}">{{ finding.status|status_label }}</span>
        <span class="fw-semibold" data-finding-text>{{ finding.text }}</span>
        <span class="text-body-secondary text-nowrap">({{ finding.rule }})</span>
        <div data-finding-reason>{{ finding.reason }}</div>
      </li>
      {% endfor %}
    </ul>
    {% endfor %}
  </section>
  {% endfor %}
"""  # noqa: E501 - the template's lines as they were
NEW_LEVEL_SECTIONS = "{% load findings %}\n  {% finding_sections result %}\n"

ODD_RESULTS = [
    {},
    {"levels": []},
    {"levels": [{"level": "L1"}]},
    {
        "levels": [
            {
                "level": "<L1>",
                "findings": [
                    {"rule": 'X&"1', "status": None, "text": "<b>t</b>", "reason": "a > b"},
                    {"kind": "absolute", "status": "met"},
                    {"kind": "absolute", "rule": "R", "status": "unknown", "reason": 7},
                    {"kind": "indication", "status": "odd", "text": "'quoted'"},
                    {"kind": "absolute", "status": "not_met"},
                ],
            }
        ]
    },
]


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


@pytest.mark.parametrize("autoescape", [True, False])
def test_level_sections_are_the_former_templates_markup_exactly(autoescape):
    former, new = Template(FORMER_LEVEL_LOOP), Template(NEW_LEVEL_SECTIONS)
    results = [*_shared_results(), *ODD_RESULTS]
    assert any(len(result.get("levels", [])) > 1 for result in results)
    for result in results:
        context = {"result": result}
        assert new.render(Context(context, autoescape=autoescape)) == former.render(
            Context(context, autoescape=autoescape)
        )


def test_level_sections_escape_every_value():
    result = {
        "levels": [
            {
                "level": "L1",
                "recommendation": '"><script>',
                "findings": [
                    {
                        "kind": "absolute",
                        "rule": "R<1>",
                        "status": "met",
                        "text": "<i>",
                        "reason": "<script>alert(1)</script>",
                    },
                ],
            }
        ]
    }
    html = Template(NEW_LEVEL_SECTIONS).render(Context({"result": result}))
    assert "<script>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-level-recommendation="&quot;&gt;&lt;script&gt;"' in html
    assert 'data-rule="R&lt;1&gt;"' in html


def test_the_panel_shows_every_level_and_finding_of_the_result():
    for result in _shared_results():
        html = render_to_string("includes/_findings.html", {"result": result})
        panel = read_findings(html)
        assert panel.recommendation == result["recommendation"]
        assert panel.levels == result_findings(result)
        assert f"Ruleset {result['ruleset_version']}" in html
