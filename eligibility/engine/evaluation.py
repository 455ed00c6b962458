"""Running the rules on a case: findings per level, the decision order, and what is missing."""

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from .facts import (
    CASE_FIELDS,
    ETIOLOGIES,
    INPUT_LABELS,
    LEVEL_FIELDS,
    RADICULAR_CAUSES,
    CaseFacts,
    LevelFacts,
)
from .rules import RULES, Rule
from .thresholds import DEFAULT_THRESHOLDS, Thresholds
from .validation import validate_case
from .version import ruleset_version
from .vocabulary import RECOMMENDATION_ORDER, Recommendation, RuleKind, Status
from .wording import and_list, sentence_start

MET, NOT_MET, UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN

# The decision order of one level (the spec's "first step that applies"), in words for the
# docs; _decide below is its code.
DECISION_ORDER: tuple[tuple[Recommendation, str], ...] = (
    (Recommendation.NOT_ELIGIBLE, "any absolute contraindication is met"),
    (Recommendation.NOT_ELIGIBLE, "every indication is not met (no indication)"),
    (
        Recommendation.INCOMPLETE,
        "no indication is met (so some are unknown), or any contraindication, absolute or "
        "relative, is unknown",
    ),
    (Recommendation.REVIEW, "any relative contraindication is met"),
    (Recommendation.ELIGIBLE, "otherwise"),
)

# Inputs never listed in `missing`: lab values are optional (an absent one is no evidence
# either way) and an absent assessment date means today.
NEVER_MISSING = frozenset({"inr", "platelets", "assessed_on"})

_BOOLEAN = (True, False)
# The values tried for an absent input to see whether it could change an unknown finding.
# The fracture date's candidates depend on the case (see _candidates).
_CANDIDATES: dict[str, tuple[object, ...]] = {
    "pain_controlled_by_medical_therapy": _BOOLEAN,
    "coagulopathy": _BOOLEAN,
    "coagulopathy_corrected": _BOOLEAN,
    "systemic_infection": _BOOLEAN,
    "local_infection": _BOOLEAN,
    "allergies": ((), ("cement",)),
    "radicular_pain": _BOOLEAN,
    "radicular_cause": RADICULAR_CAUSES,
    "levels[].etiology": ETIOLOGIES,
    "levels[].pain_nrs": tuple(range(11)),
    "levels[].fracture": _BOOLEAN,
    "levels[].imaging_acute": _BOOLEAN,
    "levels[].high_fracture_risk": _BOOLEAN,
    "levels[].osteomyelitis": _BOOLEAN,
    "levels[].canal_compromise_pct": (0, 100),
    "levels[].epidural_extension": _BOOLEAN,
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Probe:
    """An input of a rule that may be absent: where it lives and what to try in its place."""

    name: str
    attr: str
    per_level: bool
    order: int
    label: str
    candidates: tuple[object, ...]  # empty for the fracture date: computed per case


def _probe(name: str) -> _Probe:
    per_level = name.startswith("levels[].")
    attr = name.removeprefix("levels[].")
    order = LEVEL_FIELDS.index(attr) if per_level else CASE_FIELDS.index(attr)
    return _Probe(name, attr, per_level, order, INPUT_LABELS[name], _CANDIDATES.get(name, ()))


def _probes(rule: Rule) -> tuple[_Probe, ...]:
    probes = [_probe(name) for name in rule.inputs if name not in NEVER_MISSING]
    return tuple(sorted(probes, key=lambda p: (p.per_level, p.order)))


def _memo_key_function(rule: Rule) -> Callable[[CaseFacts, LevelFacts, Thresholds], object]:
    """What an unknown finding of the rule depends on: the values of the inputs it reads.

    Rules read a fracture date only as "more than OLD_FRACTURE_DAYS before assessed_on", so
    the key holds that comparison (or, for an absent date, whether a date that old exists to
    be tried) instead of the dates.
    """
    names = [name for name in rule.inputs if name != "assessed_on"]
    level_attrs = [n.removeprefix("levels[].") for n in names if n.startswith("levels[].")]
    case_attrs = [n for n in names if not n.startswith("levels[].")]
    of_level = attrgetter(*level_attrs) if level_attrs else None
    of_case = attrgetter(*case_attrs) if case_attrs else None
    if "fracture_date" not in level_attrs:
        if of_case is None:
            return lambda case, level, t: of_level(level)  # type: ignore[misc]
        if of_level is None:
            return lambda case, level, t: of_case(case)
        return lambda case, level, t: (of_case(case), of_level(level))

    def key(case: CaseFacts, level: LevelFacts, t: Thresholds) -> object:
        fracture_date = level.fracture_date
        if fracture_date is None:
            age: object = ("absent", case.assessed_on.toordinal() > t.old_fracture_days + 1)
        else:
            age = (case.assessed_on - fracture_date).days > t.old_fracture_days
        return (of_case(case) if of_case else None, of_level(level), age)  # type: ignore[misc]

    return key


# Per rule, precomputed once: what goes in every finding, whether it reads the level at all
# (a patient-level rule is decided once per case), and how to explain it when unknown.
_PLAN = tuple(
    (
        position,
        rule.id,
        rule.kind.value,
        rule.text,
        rule.predicate,
        rule.reason,
        any(name.startswith("levels[].") for name in rule.inputs),
        _probes(rule),
        _memo_key_function(rule),
    )
    for position, rule in enumerate(RULES)
)
_KINDS = [rule.kind for rule in RULES]
# The rules are declared grouped by kind; the decision reads the groups as slices.
if _KINDS != sorted(_KINDS, key=list(RuleKind).index):
    raise RuntimeError("RULES must be declared grouped by kind: indications, absolute, relative.")
_IND = slice(0, _KINDS.count(RuleKind.INDICATION))
_ABS = slice(_IND.stop, _IND.stop + _KINDS.count(RuleKind.ABSOLUTE))
_CONTRA = slice(_IND.stop, len(RULES))
_REL = slice(_ABS.stop, len(RULES))
_INDICATION_COUNT = _IND.stop


def _candidates(probe: _Probe, case: CaseFacts, t: Thresholds) -> tuple[object, ...]:
    if probe.candidates:
        return probe.candidates
    # The fracture date: today's fracture, and one just older than the old-fracture limit.
    dates: list[date] = [case.assessed_on]
    try:
        dates.append(case.assessed_on - timedelta(days=t.old_fracture_days + 1))
    except OverflowError:
        pass
    return tuple(dates)


def _undecided_by(
    probes: tuple[_Probe, ...],
    predicate: Callable[[CaseFacts, LevelFacts, Thresholds], Status],
    case: CaseFacts,
    level: LevelFacts,
    t: Thresholds,
) -> list[_Probe]:
    """The absent inputs of an unknown finding for which some value would decide it.

    Each input is tried alone, everything else held as it is.
    """
    found = []
    replace = dataclasses.replace
    for probe in probes:
        attr = probe.attr
        if probe.per_level:
            if getattr(level, attr) is not None:
                continue
            for candidate in _candidates(probe, case, t):
                if predicate(case, replace(level, **{attr: candidate}), t) is not UNKNOWN:
                    found.append(probe)
                    break
        else:
            if getattr(case, attr) is not None:
                continue
            for candidate in _candidates(probe, case, t):
                if predicate(replace(case, **{attr: candidate}), level, t) is not UNKNOWN:
                    found.append(probe)
                    break
    return found


# What an unknown finding depends on is a pure function of the rule, its inputs' values and
# the thresholds: remember it, so that only the first case of a kind pays for the probing.
# One dict per rule, per thresholds object (keyed by id; the entry keeps the object alive so
# the id stays its own). Bounded: a full dict is emptied.
# The ruleset version is kept beside it (hashing a Thresholds costs more than this lookup).
_Memo = list[dict[object, tuple[str, tuple[tuple[bool, int], ...]]]]
_PER_THRESHOLDS: dict[int, tuple[Thresholds, _Memo, str]] = {}
_MEMO_LIMIT = 20_000


def _per_thresholds(t: Thresholds) -> tuple[Thresholds, _Memo, str]:
    entry = _PER_THRESHOLDS.get(id(t))
    if entry is None or entry[0] is not t:
        if len(_PER_THRESHOLDS) >= 16:
            _PER_THRESHOLDS.clear()
        entry = _PER_THRESHOLDS[id(t)] = (t, [{} for _ in RULES], ruleset_version(t))
    return entry


def _unknown_reason(undecided: list[_Probe]) -> str:
    if not undecided:
        return "Not enough is recorded to decide."
    labels = [probe.label for probe in undecided]
    verb = "is" if len(labels) == 1 else "are"
    return f"{sentence_start(and_list(labels))} {verb} not recorded."


def _decide(statuses: list[Status]) -> Recommendation:
    """The recommendation of one level from its findings, in the spec's decision order."""
    if MET in statuses[_ABS]:
        return Recommendation.NOT_ELIGIBLE
    indications = statuses[_IND]
    if indications.count(NOT_MET) == _INDICATION_COUNT:
        return Recommendation.NOT_ELIGIBLE
    if MET not in indications or UNKNOWN in statuses[_CONTRA]:
        return Recommendation.INCOMPLETE
    if MET in statuses[_REL]:
        return Recommendation.REVIEW
    return Recommendation.ELIGIBLE


def evaluate_facts(
    facts: CaseFacts, *, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> dict[str, Any]:
    """The result of the rules on validated facts, in the spec's format and key order."""
    if not facts.levels:
        raise ValueError("A case has at least one target level.")
    t = thresholds
    _, memos, version = _per_thresholds(t)
    missing: set[tuple[int, int, int]] = set()
    patient_outcomes: list[tuple[Status, str]] = [(UNKNOWN, "")] * len(_PLAN)
    levels_out = []
    recommendations = set()
    for index, level in enumerate(facts.levels):
        findings: list[dict[str, Any]] = []
        add_finding = findings.append
        statuses: list[Status] = []
        add_status = statuses.append
        for position, rule_id, kind, text, predicate, reason, per_level, probes, key_of in _PLAN:
            if index and not per_level:
                status, because = patient_outcomes[position]
            else:
                status = predicate(facts, level, t)
                if status is UNKNOWN:
                    memo = memos[position]
                    key = key_of(facts, level, t)
                    known = memo.get(key)
                    if known is None:
                        undecided = _undecided_by(probes, predicate, facts, level, t)
                        known = (
                            _unknown_reason(undecided),
                            tuple((p.per_level, p.order) for p in undecided),
                        )
                        if len(memo) >= _MEMO_LIMIT:
                            memo.clear()
                        memo[key] = known
                    because = known[0]
                    for in_level, order in known[1]:
                        missing.add((1, index, order) if in_level else (0, 0, order))
                else:
                    because = reason(facts, level, t, status)
                if not per_level:
                    patient_outcomes[position] = (status, because)
            add_status(status)
            add_finding(
                {
                    "rule": rule_id,
                    "kind": kind,
                    "status": status._value_,
                    "text": text,
                    "reason": because,
                }
            )
        recommendation = _decide(statuses)
        recommendations.add(recommendation._value_)
        levels_out.append(
            {"level": level.level, "recommendation": recommendation._value_, "findings": findings}
        )
    for best in RECOMMENDATION_ORDER:
        if best._value_ in recommendations:
            break
    return {
        "ruleset_version": version,
        "recommendation": best._value_,
        "flagged": Recommendation.REVIEW._value_ in recommendations,
        "missing": [_path(key) for key in sorted(missing)] if missing else [],
        "levels": levels_out,
    }


def _path(key: tuple[int, int, int]) -> str:
    scope, index, order = key
    if scope == 0:
        return CASE_FIELDS[order]
    return f"levels[{index}].{LEVEL_FIELDS[order]}"


def evaluate(
    data: object, *, today: date, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> dict[str, Any]:
    """Validate a case document and evaluate it; raises CaseValidationError on bad input."""
    return evaluate_facts(validate_case(data, today=today), thresholds=thresholds)
