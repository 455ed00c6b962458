"""Template helpers of the findings panel: labels of statuses, kinds and missing inputs."""

from itertools import groupby

from django import template
from django.utils.safestring import mark_safe

from eligibility.engine.facts import INPUT_LABELS
from vpselect.markup import escaper

register = template.Library()

RECOMMENDATION_LABELS = {
    "eligible": "Eligible",
    "review": "Review",
    "incomplete": "Incomplete",
    "not_eligible": "Not eligible",
}
RECOMMENDATION_MEANINGS = {
    "eligible": "An indication is met and no contraindication applies.",
    "review": "A relative contraindication applies: an interventional radiologist decides.",
    "incomplete": "Answers are missing: no recommendation can be made on missing data.",
    "not_eligible": "An absolute contraindication applies, or no indication is met.",
}
STATUS_LABELS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
KIND_LABELS = {
    "indication": "Indications (at least one must be met)",
    "absolute": "Absolute contraindications (any met: not a candidate)",
    "relative": "Relative contraindications (any met: a radiologist reviews)",
}


@register.filter
def recommendation_label(value: str) -> str:
    """'not_eligible' → 'Not eligible'."""
    return RECOMMENDATION_LABELS.get(value, str(value or "—"))


@register.filter
def recommendation_meaning(value: str) -> str:
    """One sentence saying what the recommendation means."""
    return RECOMMENDATION_MEANINGS.get(value, "")


@register.filter
def status_label(value: str) -> str:
    """'not_met' → 'Not met'."""
    return STATUS_LABELS.get(value, str(value))


@register.filter
def kind_label(value: str) -> str:
    """The heading of a group of rules of one kind."""
    return KIND_LABELS.get(value, str(value))


def input_label(path: str, result: dict) -> str:
    """A case path as a physician reads it: `levels[0].pain_nrs` → 'L2: pain NRS'."""
    if path.startswith("levels[") and "]." in path:
        index_text, _, name = path[len("levels[") :].partition("].")
        label = INPUT_LABELS.get(f"levels[].{name}", name)
        levels = result.get("levels") or []
        if index_text.isdigit() and int(index_text) < len(levels):
            return f"{levels[int(index_text)]['level']}: {label}"
        return label
    return INPUT_LABELS.get(path, path)


@register.simple_tag
def missing_inputs(result: dict, links: dict | None = None) -> list[dict[str, str]]:
    """The result's missing inputs as {path, label, href}; href is "" without a link."""
    links = links or {}
    return [
        {"path": path, "label": input_label(path, result), "href": links.get(path, "")}
        for path in result.get("missing") or []
    ]


# The level sections of includes/_findings.html, written out here rather than as template
# loops: a result has some 15 findings per level and the loops' variable lookups were most of
# the live panel's rendering time. The markup, whitespace included, is what the loops gave
# (tests/patients/test_findings_panel.py renders the former template beside it).
_LEVEL_OPEN = (
    '\n  <section class="mb-3" aria-label="Findings for {level}" data-level="{level}" '
    'data-level-recommendation="{recommendation}">'
    '\n    <h3 class="h6 d-flex align-items-center gap-2 border-bottom pb-1 mb-1">'
    '\n      {level} <span class="badge badge-rec-{recommendation}">{label}</span>'
    "\n    </h3>"
    "\n    "
    "\n    "
)
_LEVEL_CLOSE = "\n  </section>\n  "
_KIND_OPEN = (
    '\n    <p class="small fw-semibold text-body-secondary mt-2 mb-1">{label}</p>'
    '\n    <ul class="list-unstyled mb-0">'
    "\n      "
)
_KIND_CLOSE = "\n    </ul>\n    "
_FINDING = (
    '\n      <li class="finding finding-{status} small ps-2 py-1 mb-1" data-rule="{rule}" '
    'data-status="{status}">'
    '\n        <span class="badge {badge}">{label}</span>'
    '\n        <span class="fw-semibold" data-finding-text>{text}</span>'
    '\n        <span class="text-body-secondary text-nowrap">({rule})</span>'
    "\n        <div data-finding-reason>{reason}</div>"
    "\n      </li>"
    "\n      "
)
_STATUS_BADGES = {"met": "text-bg-primary", "unknown": "text-bg-secondary"}


def _field(item, key: str, escape) -> str:
    # As a template variable: a missing key renders as "", any other value as its text.
    return escape(item[key]) if key in item else ""


@register.simple_tag(takes_context=True)
def finding_sections(context, result: dict) -> str:
    """Each level of the result: its recommendation and its findings grouped by kind."""
    escape = escaper(context)
    parts = []
    for level in result.get("levels") or []:
        recommendation = level.get("recommendation", "")
        parts.append(
            _LEVEL_OPEN.format(
                level=_field(level, "level", escape),
                recommendation=_field(level, "recommendation", escape),
                label=escape(recommendation_label(recommendation)),
            )
        )
        for kind, findings in groupby(level.get("findings") or [], key=lambda f: f.get("kind")):
            parts.append(_KIND_OPEN.format(label=escape(kind_label(kind))))
            for finding in findings:
                status = finding.get("status", "")
                parts.append(
                    _FINDING.format(
                        status=_field(finding, "status", escape),
                        rule=_field(finding, "rule", escape),
                        badge=_STATUS_BADGES.get(status, "text-bg-light border"),
                        label=escape(status_label(status)),
                        text=_field(finding, "text", escape),
                        reason=_field(finding, "reason", escape),
                    )
                )
            parts.append(_KIND_CLOSE)
        parts.append(_LEVEL_CLOSE)
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
