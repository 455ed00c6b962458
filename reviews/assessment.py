"""How a radiologist's decision compares with the engine's result: override or not, and which
rules it overrides. Pure functions over the stored result dict; the form and the service both
use them so the rule is stated once.
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACCEPTABLE_WITHOUT_OVERRIDE = frozenset({"eligible"})
CONTRAINDICATION_KINDS = frozenset({"absolute", "relative"})

# Short names of the relative contraindications, for the worklist column.
RELATIVE_SHORT_NAMES: dict[str, Promise] = {
    "RCI-RADICULOPATHY": _("radiculopathy"),
    "RCI-RETROPULSION": _("retropulsion > 20%"),
    "RCI-EPIDURAL": _("epidural extension"),
    "RCI-OLD-STABLE": _("old stable fracture"),
}


@dataclass(frozen=True)
class DecisionAssessment:
    """What a decision means against the engine: override, overridden rules, countersignature."""

    is_override: bool
    overridden_rules: list[str] = field(default_factory=list)
    requires_countersignature: bool = False


def level_recommendations(result: dict) -> dict[str, str]:
    """{"L1": "review", ...} in the result's level order."""
    return {level["level"]: level["recommendation"] for level in result.get("levels", [])}


def met_relative_contraindications(result: dict) -> list[tuple[str, str]]:
    """(level, short rule name) for every met relative contraindication, in result order."""
    return [
        (level["level"], str(RELATIVE_SHORT_NAMES.get(finding["rule"], finding["rule"])))
        for level in result.get("levels", [])
        for finding in level["findings"]
        if finding["kind"] == "relative" and finding["status"] == "met"
    ]


def _overridden_by_accepting(level: dict) -> list[str]:
    """Rules an accept of this level decides against.

    Met contraindications and unknown findings; when no indication applies at all, the
    indications themselves (the engine found none met).
    """
    findings = level["findings"]
    rules = [
        f["rule"]
        for f in findings
        if (f["kind"] in CONTRAINDICATION_KINDS and f["status"] == "met")
        or f["status"] == "unknown"
    ]
    indications = [f for f in findings if f["kind"] == "indication"]
    if indications and all(f["status"] == "not_met" for f in indications):
        rules.extend(f["rule"] for f in indications)
    return rules


def _has_met_absolute(level: dict) -> bool:
    return any(f["kind"] == "absolute" and f["status"] == "met" for f in level["findings"])


def assess_decision(
    *, result: dict, outcome: str, levels_to_treat: list[str]
) -> DecisionAssessment:
    """Compare an outcome ("accept", "decline", "request_information") with the engine result.

    Accepting a level the engine does not call eligible, or declining when some level is
    eligible, is an override; accepting a level with a met absolute contraindication also
    needs a second radiologist's countersignature.
    """
    levels = {level["level"]: level for level in result.get("levels", [])}
    if outcome == "accept":
        accepted = [levels[label] for label in levels_to_treat if label in levels]
        against = [
            level
            for level in accepted
            if level["recommendation"] not in ACCEPTABLE_WITHOUT_OVERRIDE
        ]
        rules: list[str] = []
        for level in against:
            for rule in _overridden_by_accepting(level):
                if rule not in rules:
                    rules.append(rule)
        return DecisionAssessment(
            is_override=bool(against),
            overridden_rules=rules,
            requires_countersignature=any(_has_met_absolute(level) for level in accepted),
        )
    if outcome == "decline":
        eligible = any(level["recommendation"] == "eligible" for level in levels.values())
        return DecisionAssessment(is_override=eligible)
    return DecisionAssessment(is_override=False)
