"""The rules as data: seed wording, kinds, declared inputs and thresholds (no database)."""

import re

import pytest
from hypothesis import HealthCheck, given, settings

from eligibility.engine import (
    DEFAULT_THRESHOLDS,
    RULES,
    RULES_BY_ID,
    THRESHOLD_NAMES,
    RuleKind,
    Status,
    validate_case,
)
from eligibility.engine.facts import INPUT_LABELS

from .builders import (
    SEED_PATH,
    SHARED_HELP,
    TODAY,
    case_documents,
    make_level_case,
    threshold_sets,
)


def seed_lists() -> tuple[list[str], list[str], list[str]]:
    """The seed's indications, first and second contraindication groups, as written."""
    if not SEED_PATH.exists():
        pytest.fail(SHARED_HELP.format(path=SEED_PATH))
    text = SEED_PATH.read_text(encoding="utf-8")
    indications_at = text.index("Indications to Vertebroplasty")
    contra_at = text.index("ContraIndications to Vertebroplasty")
    end = text.index("Vertebroplasty was developed")
    indications = [line.strip() for line in text[indications_at:contra_at].splitlines()[1:]]
    contra_block = text[contra_at:end].split("\n", 1)[1].strip()
    # The groups are separated by two blank lines, the items of a group by one.
    groups = [
        [line.strip() for line in group.splitlines() if line.strip()]
        for group in re.split(r"\n[ \t\u00a0]*\n[ \t\u00a0]*\n", contra_block)
    ]
    assert len(groups) == 2, groups
    return [line for line in indications if line], groups[0], groups[1]


def texts_of(kind: RuleKind) -> list[str]:
    return [rule.text for rule in RULES if rule.kind is kind]


def test_every_rule_text_is_the_seed_wording_verbatim():
    seed = SEED_PATH.read_text(encoding="utf-8")
    for rule in RULES:
        assert rule.text in seed, rule.id


def test_each_seed_list_item_is_one_rule_of_its_kind_in_order():
    indications, absolute, relative = seed_lists()
    assert texts_of(RuleKind.INDICATION) == indications
    assert texts_of(RuleKind.ABSOLUTE) == absolute
    assert texts_of(RuleKind.RELATIVE) == relative


def test_fifteen_rules_with_unique_ids_grouped_by_kind():
    assert len(RULES) == 15
    assert list(RULES_BY_ID) == [rule.id for rule in RULES]
    assert [rule.kind.value for rule in RULES] == (
        ["indication"] * 3 + ["absolute"] * 8 + ["relative"] * 4
    )
    prefixes = {RuleKind.INDICATION: "IND-", RuleKind.ABSOLUTE: "CI-", RuleKind.RELATIVE: "RCI-"}
    assert all(rule.id.startswith(prefixes[rule.kind]) for rule in RULES)


def test_rules_declare_known_inputs_thresholds_and_a_criterion():
    for rule in RULES:
        assert rule.inputs and set(rule.inputs) <= set(INPUT_LABELS), rule.id
        assert set(rule.thresholds) <= set(THRESHOLD_NAMES), rule.id
        assert rule.criterion.endswith("."), rule.id
        for name in rule.thresholds:
            assert name in rule.criterion, (rule.id, name)
    used = {name for rule in RULES for name in rule.thresholds}
    assert used == set(THRESHOLD_NAMES)


def test_rules_are_immutable():
    with pytest.raises(AttributeError):
        RULES[0].text = "changed"  # type: ignore[misc]


# --- Predicates and reasons read exactly what they declare ----------------------------------


class Recorder:
    """Facts that note which attribute names are read through them."""

    def __init__(self, facts, prefix: str, seen: set[str]) -> None:
        object.__setattr__(self, "_facts", facts)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_seen", seen)

    def __getattr__(self, name: str):
        self._seen.add(self._prefix + name)
        return getattr(self._facts, name)


def read_by(rule, facts, level, thresholds) -> tuple[Status, set[str], set[str]]:
    """The status, and the names the predicate and then the reason read."""
    predicate_read: set[str] = set()
    status = rule.predicate(
        Recorder(facts, "", predicate_read),
        Recorder(level, "levels[].", predicate_read),
        thresholds,
    )
    reason_read: set[str] = set()
    if status is not Status.UNKNOWN:
        reason = rule.reason(
            Recorder(facts, "", reason_read),
            Recorder(level, "levels[].", reason_read),
            thresholds,
            status,
        )
        assert isinstance(reason, str) and reason.endswith("."), rule.id
    return status, predicate_read, reason_read


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents(max_levels=1), threshold_sets())
def test_predicates_and_reasons_read_only_their_declared_inputs(case, thresholds):
    facts = validate_case(case, today=TODAY)
    for rule in RULES:
        status, predicate_read, reason_read = read_by(rule, facts, facts.levels[0], thresholds)
        assert isinstance(status, Status)
        assert predicate_read <= set(rule.inputs), rule.id
        allowed = set(rule.inputs)
        if any(name.startswith("levels[].") for name in rule.inputs):
            allowed.add("levels[].level")  # a level's rule may name its level
        assert reason_read <= allowed, rule.id


def test_every_declared_input_is_read_by_its_predicate():
    documents = [
        {"levels": [{"level": "L1"}]},
        make_level_case(
            fracture_date="2024-05-01",
            imaging_acute=False,
            high_fracture_risk=True,
            epidural_extension=True,
            etiology="metastasis",
        )
        | {
            "coagulopathy": True,
            "coagulopathy_corrected": True,
            "inr": 1.0,
            "platelets": 240,
            "radicular_pain": True,
            "radicular_cause": "unrelated_compression",
        },
        make_level_case(fracture=None, high_fracture_risk=None, etiology="myeloma"),
    ]
    read = {rule.id: set() for rule in RULES}
    for document in documents:
        facts = validate_case(document, today=TODAY)
        for rule in RULES:
            read[rule.id] |= read_by(rule, facts, facts.levels[0], DEFAULT_THRESHOLDS)[1]
    for rule in RULES:
        assert read[rule.id] == set(rule.inputs), rule.id


def test_reason_states_the_deciding_values():
    facts = validate_case(make_level_case(canal_compromise_pct=35), today=TODAY)
    rule = RULES_BY_ID["RCI-RETROPULSION"]
    status = rule.predicate(facts, facts.levels[0], DEFAULT_THRESHOLDS)
    assert status is Status.MET
    assert rule.reason(facts, facts.levels[0], DEFAULT_THRESHOLDS, status) == (
        "Canal compromise 35% exceeds 20%."
    )
