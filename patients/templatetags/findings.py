"""Template helpers of the findings panel: labels of statuses, kinds and missing inputs."""

from django import template
from django.utils.translation import gettext_lazy as _

from eligibility.verdict import verdict_of
from patients import vocabulary

register = template.Library()

RECOMMENDATION_MEANINGS = {
    "eligible": _("An indication is met and no contraindication applies."),
    "review": _("A relative contraindication applies: an interventional radiologist decides."),
    "incomplete": _("Answers are missing: no recommendation can be made on missing data."),
    "not_eligible": _("An absolute contraindication applies, or no indication is met."),
}
KIND_LABELS = {
    "indication": _("Indications (at least one must be met)"),
    "absolute": _("Absolute contraindications (any met: not a candidate)"),
    "relative": _("Relative contraindications (any met: a radiologist reviews)"),
}


@register.filter
def recommendation_label(value: str) -> str:
    """'not_eligible' → 'Not eligible'."""
    return vocabulary.recommendation_label(value)


@register.filter
def recommendation_meaning(value: str) -> str:
    """One sentence saying what the recommendation means."""
    return str(RECOMMENDATION_MEANINGS.get(value, ""))


@register.filter
def status_label(value: str) -> str:
    """'not_met' → 'Not met'."""
    return vocabulary.finding_status_label(value)


@register.filter
def kind_label(value: str) -> str:
    """The heading of a group of rules of one kind."""
    return str(KIND_LABELS.get(value, value))


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
