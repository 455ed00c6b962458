"""Writing results and rules out: JSON, a plain-text table, and the rules as Markdown."""

import json
from typing import Any

from .evaluation import DECISION_ORDER, NEVER_MISSING
from .facts import INPUT_LABELS
from .rules import RULES
from .thresholds import DEFAULT_THRESHOLDS, THRESHOLD_SOURCES, THRESHOLD_UNITS, Thresholds
from .version import RULESET_RELEASE, ruleset_version
from .vocabulary import RECOMMENDATION_ORDER, RuleKind
from .wording import number


def result_to_json(result: dict[str, Any], *, pretty: bool = False) -> str:
    """The result as JSON in the spec's key order; the same result always gives the same text."""
    if pretty:
        return json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False)
    return json.dumps(result, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


_KIND_HEADINGS = {
    RuleKind.INDICATION: "Indications (at least one must be met)",
    RuleKind.ABSOLUTE: "Absolute contraindications (any met: not a candidate)",
    RuleKind.RELATIVE: "Relative contraindications (any met: review by a radiologist)",
}


def explain_text(result: dict[str, Any]) -> str:
    """The result as a readable plain-text table of findings per level."""
    flagged = " (flagged for review by an interventional radiologist)" if result["flagged"] else ""
    lines = [
        f"Recommendation: {result['recommendation']}{flagged}",
        f"Ruleset:        {result['ruleset_version']}",
        f"Missing:        {', '.join(result['missing']) or 'nothing'}",
    ]
    headers = ("Rule", "Kind", "Status", "Reason")
    for level in result["levels"]:
        rows = [
            (f["rule"], f["kind"], f["status"].replace("_", " "), f["reason"])
            for f in level["findings"]
        ]
        widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
        lines += ["", f"{level['level']}: {level['recommendation']}"]
        for row in [headers, tuple("-" * w for w in [*widths, len(headers[3])]), *rows]:
            cells = [row[i].ljust(widths[i]) for i in range(3)]
            lines.append(f"  {'  '.join(cells)}  {row[3]}")
    return "\n".join(lines) + "\n"


def _input_list(inputs: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}` ({INPUT_LABELS[name]})" for name in inputs)


def render_rules_markdown(thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """docs/rules.md, generated from the rule definitions and the thresholds."""
    named = thresholds.as_named()
    out = [
        "# Eligibility rules",
        "",
        "<!-- Generated from eligibility/engine by `python manage.py write_rules_doc`;",
        "     do not edit by hand. A test keeps this file equal to the rule definitions. -->",
        "",
        f"Ruleset version: `{ruleset_version(thresholds)}` (release `{RULESET_RELEASE}` "
        "with the default thresholds; the part after `+` is a fingerprint of the rules "
        "and threshold values, so it changes when any of them does).",
        "",
        "The rules implement `shared/clinical/eligibility-rules.md`; their wording is the "
        "seed's (`shared/seed/vertebroplasty.txt`). Patient-level inputs apply to every "
        "target level; `levels[]` inputs are those of the level being evaluated.",
        "",
        "## Three-valued logic",
        "",
        "Every clinical input may be absent (`null` or a missing key): it is then **unknown**,"
        ' never read as "no". Each rule is `met`, `not_met` or `unknown` by Kleene logic: AND '
        "is not met if any part is false, met if all are true, else unknown; OR is met if any "
        "part is true, not met if all are false, else unknown. A comparison with an absent "
        "number is unknown. An absent `assessed_on` is the day of the evaluation.",
        "",
        "`missing` lists, once each and in input order, every absent input of an unknown "
        "finding for which some value, tried alone with everything else held, would decide "
        "that finding. Never listed: "
        + ", ".join(f"`{name}`" for name in sorted(NEVER_MISSING))
        + ".",
        "",
        "## Thresholds",
        "",
        "| threshold | value | unit | source |",
        "|---|---|---|---|",
    ]
    for name, value in named.items():
        out.append(
            f"| `{name}` | {number(value)} | {THRESHOLD_UNITS[name]} | {THRESHOLD_SOURCES[name]} |"
        )
    out += [
        "",
        "A clinic overrides them in the setting `VPSELECT_THRESHOLDS` (environment variable of "
        'the same name, JSON), e.g. `{"SEVERE_PAIN_NRS": 6}`.',
        "",
        "## Decision order",
        "",
        "A level's recommendation is that of the first step that applies:",
        "",
    ]
    for step, (recommendation, condition) in enumerate(DECISION_ORDER, start=1):
        out.append(f"{step}. {condition} → **`{recommendation.value}`**")
    order = " > ".join(f"`{rec.value}`" for rec in RECOMMENDATION_ORDER)
    out += [
        "",
        f"The referral takes its most favourable level, in the order {order}. "
        "`flagged` is true if and only if some level's recommendation is `review`.",
        "",
        "## Rules",
    ]
    kind = None
    for rule in RULES:
        if rule.kind is not kind:
            kind = rule.kind
            out += ["", f"### {_KIND_HEADINGS[kind]}"]
        out += [
            "",
            f"#### `{rule.id}`",
            "",
            f"- Kind: {rule.kind.value}",
            f"- Seed wording: “{rule.text}”",
            f"- Met when: {rule.criterion}",
            f"- Inputs: {_input_list(rule.inputs)}",
        ]
        if rule.thresholds:
            out.append("- Thresholds:")
            for name in rule.thresholds:
                out.append(
                    f"  - `{name}` = {number(named[name])} ({THRESHOLD_UNITS[name]}) — "
                    f"{THRESHOLD_SOURCES[name]}"
                )
        else:
            out.append("- Thresholds: none")
    return "\n".join(out) + "\n"
