"""The vertebroplasty eligibility engine: pure Python, no Django, time passed in.

    facts = validate_case(case_dict, today=today)      # or CaseValidationError
    result = evaluate_facts(facts, thresholds=...)      # the spec's result format
    result = evaluate(case_dict, today=today)           # both at once
    reasons = finding_reasons(facts, thresholds=...)    # each reason as a code and values

See docs/engine.md for the interface and how to change a rule or a threshold.
"""

from .evaluation import DECISION_ORDER, NEVER_MISSING, evaluate, evaluate_facts
from .facts import CaseFacts, LevelFacts
from .reasons import (
    ETIOLOGY_NOUNS,
    PLURAL_TEMPLATES,
    REASON_TEMPLATES,
    Reason,
    finding_reasons,
    reason_text,
)
from .render import explain_text, render_rules_markdown, result_to_json
from .rules import RULES, RULES_BY_ID, Rule
from .thresholds import (
    DEFAULT_THRESHOLDS,
    THRESHOLD_NAMES,
    THRESHOLD_SOURCES,
    THRESHOLD_UNITS,
    Thresholds,
)
from .validation import CaseValidationError, FieldError, parse_case_json, validate_case
from .version import RULESET_RELEASE, ruleset_fingerprint, ruleset_version
from .vocabulary import RECOMMENDATION_ORDER, Recommendation, RuleKind, Status

__all__ = [
    "DECISION_ORDER",
    "DEFAULT_THRESHOLDS",
    "ETIOLOGY_NOUNS",
    "NEVER_MISSING",
    "PLURAL_TEMPLATES",
    "REASON_TEMPLATES",
    "RECOMMENDATION_ORDER",
    "RULES",
    "RULES_BY_ID",
    "RULESET_RELEASE",
    "THRESHOLD_NAMES",
    "THRESHOLD_SOURCES",
    "THRESHOLD_UNITS",
    "CaseFacts",
    "CaseValidationError",
    "FieldError",
    "LevelFacts",
    "Reason",
    "Recommendation",
    "Rule",
    "RuleKind",
    "Status",
    "Thresholds",
    "evaluate",
    "evaluate_facts",
    "explain_text",
    "finding_reasons",
    "parse_case_json",
    "reason_text",
    "render_rules_markdown",
    "result_to_json",
    "ruleset_fingerprint",
    "ruleset_version",
    "validate_case",
]
