"""Template helpers of the findings panel: labels of statuses, kinds and missing inputs."""

from django import template

from eligibility.engine.facts import INPUT_LABELS
from eligibility.verdict import verdict_of

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


@register.simple_tag
def verdict(result: dict, links: dict | None = None) -> dict:
    """The result verdict first: the deciding findings (each missing answer labelled and linked
    when `links` has its question) and the other findings, for includes/_findings.html."""
    links = links or {}
    read = verdict_of(result or {})

    def line(entry) -> dict:
        return {
            "rule": entry.rule,
            "kind": entry.kind,
            "status": entry.status,
            "text": entry.text,
            "reason": entry.reason,
            "level": entry.level,
            "tone": entry.tone,
            "missing": [
                {"path": path, "label": input_label(path, result), "href": links.get(path, "")}
                for path in entry.missing
            ],
        }

    return {
        "recommendation": read.recommendation,
        "flagged": read.flagged,
        "why": [line(entry) for entry in read.why],
        "others": [line(entry) for entry in read.others],
        "others_all_not_met": read.others_all_not_met,
        "several_levels": read.several_levels,
        "levels": [
            {"level": level.get("level", ""), "recommendation": level.get("recommendation", "")}
            for level in (result or {}).get("levels") or []
            if isinstance(level, dict)
        ],
    }
