"""Template helpers of the findings panel: labels of statuses, kinds and missing inputs."""

from itertools import groupby

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from patients import vocabulary

register = template.Library()

RECOMMENDATION_MEANINGS = {
    "eligible": "An indication is met and no contraindication applies.",
    "review": "A relative contraindication applies: an interventional radiologist decides.",
    "incomplete": "Answers are missing: no recommendation can be made on missing data.",
    "not_eligible": "An absolute contraindication applies, or no indication is met.",
}
KIND_LABELS = {
    "indication": "Indications (at least one must be met)",
    "absolute": "Absolute contraindications (any met: not a candidate)",
    "relative": "Relative contraindications (any met: a radiologist reviews)",
}


@register.filter
def recommendation_label(value: str) -> str:
    """'not_eligible' → 'Not eligible'."""
    return vocabulary.recommendation_label(value)


@register.filter
def recommendation_meaning(value: str) -> str:
    """One sentence saying what the recommendation means."""
    return RECOMMENDATION_MEANINGS.get(value, "")


@register.filter
def status_label(value: str) -> str:
    """'not_met' → 'Not met'."""
    return vocabulary.finding_status_label(value)


@register.filter
def kind_label(value: str) -> str:
    """The heading of a group of rules of one kind."""
    return KIND_LABELS.get(value, str(value))


def input_label(path: str, result: dict) -> str:
    """A case path as a physician reads it: `levels[0].pain_nrs` → 'L2: Pain (NRS 0–10)'."""
    levels = result.get("levels") or []
    return vocabulary.case_path_label(path, [level.get("level", "") for level in levels])


@register.simple_tag
def missing_inputs(result: dict, links: dict | None = None) -> list[dict[str, str]]:
    """The result's missing inputs as {path, label, href}; href is "" without a link."""
    links = links or {}
    return [
        {"path": path, "label": input_label(path, result), "href": links.get(path, "")}
        for path in result.get("missing") or []
    ]


# The level sections of includes/_findings.html. The live panel re-renders them on every
# answer typed and a result has some 15 findings per level, so they are built here rather
# than by nested template loops; every value goes through format_html, which escapes it
# unless it is already safe.
_STATUS_BADGES = {"met": "text-bg-primary", "unknown": "text-bg-secondary"}


def _finding_item(finding: dict) -> SafeString:
    status = finding.get("status", "")
    return format_html(
        '\n      <li class="finding finding-{status} small ps-2 py-1 mb-1" data-rule="{rule}" '
        'data-status="{status}">'
        '\n        <span class="badge {badge}">{label}</span>'
        '\n        <span class="fw-semibold" data-finding-text>{text}</span>'
        '\n        <span class="text-body-secondary text-nowrap">({rule})</span>'
        "\n        <div data-finding-reason>{reason}</div>"
        "\n      </li>",
        status=finding.get("status", ""),
        rule=finding.get("rule", ""),
        badge=_STATUS_BADGES.get(status, "text-bg-light border"),
        label=status_label(status),
        text=finding.get("text", ""),
        reason=finding.get("reason", ""),
    )


def _kind_group(kind: str, findings) -> SafeString:
    return format_html(
        '\n    <p class="small fw-semibold text-body-secondary mt-2 mb-1">{label}</p>'
        '\n    <ul class="list-unstyled mb-0">{items}\n    </ul>',
        label=kind_label(kind),
        items=format_html_join("", "{}", ((_finding_item(finding),) for finding in findings)),
    )


def _level_section(level: dict) -> SafeString:
    recommendation = level.get("recommendation", "")
    kinds = groupby(level.get("findings") or [], key=lambda finding: finding.get("kind"))
    return format_html(
        '\n  <section class="mb-3" aria-label="Findings for {level}" data-level="{level}" '
        'data-level-recommendation="{recommendation}">'
        '\n    <h3 class="h6 d-flex align-items-center gap-2 border-bottom pb-1 mb-1">'
        '\n      {level} <span class="badge badge-rec-{recommendation}">{label}</span>'
        "\n    </h3>{groups}\n  </section>",
        level=level.get("level", ""),
        recommendation=recommendation,
        label=recommendation_label(recommendation),
        groups=format_html_join("", "{}", ((_kind_group(k, fs),) for k, fs in kinds)),
    )


@register.simple_tag
def finding_sections(result: dict) -> SafeString:
    """Each level of the result: its recommendation and its findings grouped by kind."""
    levels = result.get("levels") or []
    return format_html_join("", "{}", ((_level_section(level),) for level in levels))
