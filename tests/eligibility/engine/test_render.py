"""Result JSON, the --explain table and docs/rules.md (no database)."""

import json

from eligibility.engine import (
    RULES,
    THRESHOLD_SOURCES,
    evaluate,
    explain_text,
    render_rules_markdown,
    result_to_json,
    ruleset_version,
)

from .builders import REPO, TODAY, make_case, make_level_case

RULES_DOC = REPO / "docs" / "rules.md"


def test_result_json_is_compact_in_spec_key_order_and_byte_identical():
    result = evaluate(make_level_case(canal_compromise_pct=35), today=TODAY)
    text = result_to_json(result)
    assert text.startswith('{"ruleset_version":"')
    assert '"recommendation":"review","flagged":true,"missing":[],"levels":[{"level":"L2",' in text
    assert '{"rule":"IND-OSTEOPOROSIS","kind":"indication","status":"met","text":' in text
    assert "\n" not in text and ", " not in text.split('"reason"')[0]
    again = result_to_json(evaluate(make_level_case(canal_compromise_pct=35), today=TODAY))
    assert text.encode() == again.encode()
    assert json.loads(text) == result


def test_pretty_json_is_the_same_document_indented():
    result = evaluate(make_case(), today=TODAY)
    pretty = result_to_json(result, pretty=True)
    assert pretty.startswith('{\n  "ruleset_version": ')
    assert json.loads(pretty) == json.loads(result_to_json(result))


def test_result_json_keeps_non_ascii_text_readable():
    result = evaluate(make_case(platelets=20), today=TODAY)
    assert "×10⁹/L" in result_to_json(result)


def test_explain_text_is_a_table_of_findings_per_level():
    case = make_case(levels=[{"level": "T11"}, {"level": "T12", "canal_compromise_pct": None}])
    text = explain_text(evaluate(case, today=TODAY))
    lines = text.splitlines()
    assert lines[0] == "Recommendation: eligible"
    assert lines[1] == f"Ruleset:        {ruleset_version()}"
    assert lines[2] == "Missing:        levels[1].canal_compromise_pct"
    assert "T11: eligible" in lines and "T12: incomplete" in lines
    header = next(line for line in lines if line.strip().startswith("Rule "))
    assert header.split() == ["Rule", "Kind", "Status", "Reason"]
    row = next(line for line in lines if "RCI-RETROPULSION" in line and "unknown" in line)
    assert row.rstrip().endswith("Canal compromise is not recorded.")
    # Columns line up: every status starts where the header's does.
    column = header.index("Status")
    for line in lines:
        if line.strip().startswith(("IND-", "CI-", "RCI-")):
            assert line[column:].split()[0] in {"met", "not", "unknown"}
    assert text.endswith("\n")


def test_explain_text_says_when_flagged():
    text = explain_text(evaluate(make_level_case(canal_compromise_pct=35), today=TODAY))
    assert text.splitlines()[0] == (
        "Recommendation: review (flagged for review by an interventional radiologist)"
    )


def test_rules_markdown_describes_every_rule_and_threshold():
    text = render_rules_markdown()
    assert ruleset_version() in text
    for rule in RULES:
        assert f"#### `{rule.id}`" in text
        assert f"“{rule.text}”" in text
        assert rule.criterion in text
    for source in THRESHOLD_SOURCES.values():
        assert source in text
    assert "## Decision order" in text


def test_docs_rules_md_is_generated_from_the_rules():
    assert RULES_DOC.exists(), "Run `python manage.py write_rules_doc`."
    assert RULES_DOC.read_text(encoding="utf-8") == render_rules_markdown(), (
        "docs/rules.md is out of date: run `python manage.py write_rules_doc`."
    )
