"""A result read verdict first: the findings that decide the recommendation, then the rest.

Pure Python over the engine's result dict (stored evaluations included), so every screen and
the printed summary order the reasons the same way. A finding decides when it is a met rule,
an unknown one on a level that is incomplete, or a not-met indication on a level that is not
eligible for want of any indication. Patient-level rules (infection, allergy, …) are the same
on every level and appear once.
"""

from dataclasses import dataclass, field

from .engine import RULES_BY_ID

# What a deciding finding means, as a colour and a word a template turns into an icon.
TONE_DANGER = "danger"  # a met absolute contraindication
TONE_WARNING = "warning"  # a met relative contraindication
TONE_SUCCESS = "success"  # a met indication
TONE_NEUTRAL = "neutral"  # unknown: an answer is missing
TONE_NONE = "none"  # not met

# Within a level, the order in which deciding findings are listed: the one that sets the
# level's recommendation first.
_ORDER = {
    ("absolute", "met"): 0,
    ("indication", "not_met"): 1,
    ("relative", "met"): 3,
    ("indication", "met"): 4,
}
_UNKNOWN_ORDER = 2
# An incomplete level is decided by what is missing: its unknown findings lead.
_UNKNOWN_ORDER_INCOMPLETE = -1


@dataclass(slots=True)
class VerdictLine:
    """One finding as the verdict lists it; `level` is empty for a patient-level rule."""

    rule: str
    kind: str
    status: str
    text: str
    reason: str
    level: str
    tone: str
    # Case paths of the absent answers that leave an unknown finding undecided.
    missing: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Verdict:
    """The recommendation, its deciding findings in order, and every other finding."""

    recommendation: str
    flagged: bool
    why: list[VerdictLine]
    others: list[VerdictLine]
    several_levels: bool

    @property
    def others_all_not_met(self) -> bool:
        """Whether every finding left out of `why` is simply not met."""
        return all(line.status == "not_met" for line in self.others)


def _tone(kind: str, status: str) -> str:
    if status == "unknown":
        return TONE_NEUTRAL
    if status != "met":
        return TONE_NONE
    return {"absolute": TONE_DANGER, "relative": TONE_WARNING}.get(kind, TONE_SUCCESS)


def _per_level(rule_id: str) -> bool:
    rule = RULES_BY_ID.get(rule_id)
    # A rule of another ruleset (an old evaluation): judged per level, shown per level.
    return rule is None or any(name.startswith("levels[].") for name in rule.inputs)


def _missing_of(rule_id: str, index: int, missing: list[str]) -> list[str]:
    rule = RULES_BY_ID.get(rule_id)
    if rule is None:
        return []
    prefix = f"levels[{index}]."
    found = []
    for path in missing:
        name = f"levels[].{path.removeprefix(prefix)}" if path.startswith(prefix) else path
        if name in rule.inputs:
            found.append(path)
    return found


def _decides(finding: dict, level: dict, absolute_met: bool) -> bool:
    status, kind = finding.get("status"), finding.get("kind")
    recommendation = level.get("recommendation")
    if status == "met":
        return True
    if status == "unknown":
        return recommendation == "incomplete"
    return kind == "indication" and recommendation == "not_eligible" and not absolute_met


def verdict_of(result: dict) -> Verdict:
    """The result's deciding findings, deciding levels first, and the others in result order."""
    recommendation = result.get("recommendation") or ""
    missing = list(result.get("missing") or [])
    levels = [level for level in result.get("levels") or [] if isinstance(level, dict)]
    several = len(levels) > 1
    # key -> [line, sort key or None when it does not decide, position]
    placed: dict[tuple[str, str], list] = {}
    for index, level in enumerate(levels):
        findings = [f for f in level.get("findings") or [] if isinstance(f, dict)]
        absolute_met = any(
            f.get("kind") == "absolute" and f.get("status") == "met" for f in findings
        )
        level_rank = 0 if level.get("recommendation") == recommendation else 1
        incomplete = level.get("recommendation") == "incomplete"
        for finding in findings:
            rule_id = str(finding.get("rule") or "")
            kind, status = str(finding.get("kind") or ""), str(finding.get("status") or "")
            per_level = _per_level(rule_id)
            label = str(level.get("level") or "") if per_level else ""
            key = (rule_id, label if per_level else "")
            if per_level and several:
                key = (rule_id, f"{index}:{label}")
            if not per_level and key in placed and placed[key][1] is not None:
                continue
            sort_key = None
            if _decides(finding, level, absolute_met):
                if status == "unknown":
                    order = _UNKNOWN_ORDER_INCOMPLETE if incomplete else _UNKNOWN_ORDER
                else:
                    order = _ORDER.get((kind, status), 5)
                sort_key = (level_rank, order)
            if key in placed and sort_key is None:
                continue
            line = VerdictLine(
                rule=rule_id,
                kind=kind,
                status=status,
                text=str(finding.get("text") or ""),
                reason=str(finding.get("reason") or ""),
                level=label if (per_level and several) else "",
                tone=_tone(kind, status),
                missing=_missing_of(rule_id, index, missing) if status == "unknown" else [],
            )
            position = placed[key][2] if key in placed else len(placed)
            placed[key] = [line, sort_key, position]
    why = sorted(
        (entry for entry in placed.values() if entry[1] is not None),
        key=lambda entry: (entry[1], entry[2]),
    )
    others = sorted(
        (entry for entry in placed.values() if entry[1] is None), key=lambda entry: entry[2]
    )
    return Verdict(
        recommendation=recommendation,
        flagged=bool(result.get("flagged")),
        why=[entry[0] for entry in why],
        others=[entry[0] for entry in others],
        several_levels=several,
    )
