"""The ruleset version stored with every result: a human release plus a fingerprint.

The fingerprint is a hash of every rule's id, kind, seed wording, criterion, inputs and
thresholds used, and of the threshold values, so a stored evaluation names exactly the
ruleset that produced it and any change of a rule or a threshold shows.
"""

import functools
import hashlib
import json
from collections.abc import Iterable

from .rules import RULES, Rule
from .thresholds import DEFAULT_THRESHOLDS, Thresholds

# Bump when a predicate or a reason changes without a change of the rule's metadata
# (year.month.sequence); a test compares the rules' code with this release.
RULESET_RELEASE = "2026.11.1"


def _canonical(value: float) -> float:
    """50 and 50.0 are the same threshold and must give the same fingerprint."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def ruleset_fingerprint(rules: Iterable[Rule], thresholds: Thresholds) -> str:
    """Eight hex digits of the SHA-256 of the rules' definitions and the threshold values."""
    document = {
        "release": RULESET_RELEASE,
        "rules": [
            [
                rule.id,
                rule.kind.value,
                rule.text,
                rule.criterion,
                list(rule.inputs),
                list(rule.thresholds),
            ]
            for rule in rules
        ],
        "thresholds": {name: _canonical(v) for name, v in thresholds.as_named().items()},
    }
    encoded = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:8]


@functools.lru_cache(maxsize=64)
def ruleset_version(thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """The release and fingerprint of the rules with these thresholds, e.g. 2026.11.1+3f2a9c1b."""
    return f"{RULESET_RELEASE}+{ruleset_fingerprint(RULES, thresholds)}"
