"""The ruleset version: a release plus a fingerprint of the rules and thresholds (no database).

ruleset_lock.json beside this file pins the release, the default version and a hash of each rule's
code: a change to what the engine may say has to be made on purpose. To accept one, bump
RULESET_RELEASE in eligibility/engine/version.py, then print the new lock with
`python -m tests.eligibility.engine.test_version` and save it.
"""

import dataclasses
import hashlib
import inspect
import json
import re
from pathlib import Path

import pytest

from eligibility.engine import (
    DEFAULT_THRESHOLDS,
    RULES,
    RULESET_RELEASE,
    RuleKind,
    Thresholds,
    evaluate,
    evaluation,
    ruleset_fingerprint,
    ruleset_version,
    wording,
)
from eligibility.engine.facts import INPUT_LABELS

from .builders import TODAY, make_case

LOCK_PATH = Path(__file__).parent / "ruleset_lock.json"


def _digest(*texts: str) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


def current_lock() -> dict:
    return {
        "release": RULESET_RELEASE,
        "default_version": ruleset_version(DEFAULT_THRESHOLDS),
        "rules": {
            rule.id: _digest(inspect.getsource(rule.predicate), inspect.getsource(rule.reason))
            for rule in RULES
        },
        "shared": {
            "rules_module": _digest(inspect.getsource(inspect.getmodule(RULES[0].predicate))),
            "input_labels": _digest(json.dumps(INPUT_LABELS, sort_keys=True)),
            "decision": _digest(inspect.getsource(evaluation._decide)),
            "unknown_reason": _digest(inspect.getsource(evaluation._unknown_reason)),
            "wording": _digest(inspect.getsource(wording)),
        },
    }


def test_version_is_release_plus_fingerprint():
    version = ruleset_version()
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+\+[0-9a-f]{8}", version)
    assert version.startswith(f"{RULESET_RELEASE}+")


def test_version_is_in_every_result_and_cached():
    assert evaluate(make_case(), today=TODAY)["ruleset_version"] == ruleset_version()
    assert ruleset_version(Thresholds()) is ruleset_version(DEFAULT_THRESHOLDS)


@pytest.mark.parametrize(
    "change",
    [
        {"severe_pain_nrs": 8},
        {"pain_present_nrs": 2},
        {"inr_max": 1.8},
        {"platelets_min": 30},
        {"canal_compromise_max_pct": 30},
        {"old_fracture_days": 366},
    ],
    ids=lambda change: next(iter(change)),
)
def test_version_changes_with_each_threshold(change):
    changed = dataclasses.replace(DEFAULT_THRESHOLDS, **change)
    assert ruleset_version(changed) != ruleset_version()
    assert evaluate(make_case(), today=TODAY, thresholds=changed)["ruleset_version"] == (
        ruleset_version(changed)
    )


def test_the_same_threshold_written_differently_gives_the_same_version():
    assert ruleset_version(Thresholds(platelets_min=50.0)) == ruleset_version()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "IND-OSTEOPOROSIS-2"),
        ("kind", RuleKind.RELATIVE),
        ("text", "Severe painful osteoporosis"),
        ("criterion", "Something else."),
        ("inputs", ("levels[].etiology",)),
        ("thresholds", ()),
    ],
)
def test_fingerprint_changes_with_any_rule_definition(field, value):
    changed = [dataclasses.replace(RULES[0], **{field: value}), *RULES[1:]]
    assert ruleset_fingerprint(changed, DEFAULT_THRESHOLDS) != ruleset_fingerprint(
        RULES, DEFAULT_THRESHOLDS
    )


def test_fingerprint_changes_when_a_rule_is_dropped_or_moved():
    base = ruleset_fingerprint(RULES, DEFAULT_THRESHOLDS)
    assert ruleset_fingerprint(RULES[1:], DEFAULT_THRESHOLDS) != base
    assert ruleset_fingerprint([RULES[1], RULES[0], *RULES[2:]], DEFAULT_THRESHOLDS) != base


def test_rules_code_matches_the_locked_release():
    lock = json.loads(LOCK_PATH.read_text(encoding="utf-8"))
    current = current_lock()
    if current != lock:
        changed = sorted(
            name
            for group in ("rules", "shared")
            for name in set(current[group]) | set(lock.get(group, {}))
            if current[group].get(name) != lock.get(group, {}).get(name)
        )
        hint = (
            "bump RULESET_RELEASE in eligibility/engine/version.py, then "
            if current["release"] == lock["release"] and changed
            else ""
        )
        pytest.fail(
            f"The engine's rules changed ({', '.join(changed) or 'version'}): {hint}save "
            f"this as tests/eligibility/engine/{LOCK_PATH.name}:\n"
            f"{json.dumps(current, indent=1)}"
        )


if __name__ == "__main__":
    print(json.dumps(current_lock(), indent=1))
