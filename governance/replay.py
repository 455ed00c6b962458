"""Replaying past referrals under other thresholds: what would change, stored nowhere.

`replay_rows` streams the latest evaluation of every submitted referral from the database (a
server-side cursor, a chunk at a time); `ReplayTally` re-evaluates each stored case with its
own assessment date and counts the differences with the stored result. Memory stays flat in
the number of referrals: only the counts and the changed referral in hand are kept.
"""

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db.models import TextField
from django.db.models.functions import Cast

from eligibility.engine import CaseValidationError, Thresholds, evaluate
from eligibility.engine.vocabulary import Status
from patients.models import Referral

OPEN_STATUSES = ("submitted", "under_review", "information_requested")
CHUNK = 1000
_MET = Status.MET.value


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """The latest evaluation of one submitted referral, as stored."""

    referral_id: int
    referral_status: str
    evaluation_id: int
    case: dict
    result: dict
    evaluated_on: date


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    """One referral whose referral-level recommendation changes under the replayed thresholds."""

    referral_id: int
    evaluation_id: int
    is_open: bool
    before: str
    after: str
    levels: list[list[str]]  # [level, before, after] for each level that changes


@dataclass
class ReplayTally:
    """Counts of a replay; `add` re-evaluates one stored evaluation and returns its change."""

    thresholds: Thresholds
    referrals: int = 0
    changed: int = 0
    levels: int = 0
    levels_changed: int = 0
    unreadable: int = 0
    transitions: Counter = field(default_factory=Counter)
    level_transitions: Counter = field(default_factory=Counter)
    became_met: Counter = field(default_factory=Counter)
    stopped_met: Counter = field(default_factory=Counter)

    def add(self, row: ReplayRow) -> ReplayOutcome | None:
        try:
            after = evaluate(row.case, today=_case_date(row), thresholds=self.thresholds)
        except CaseValidationError:
            # A stored case the engine no longer accepts: counted, never guessed at.
            self.unreadable += 1
            return None
        before = row.result
        self.referrals += 1
        changed_levels = []
        for old_level, new_level in zip(before["levels"], after["levels"], strict=False):
            self.levels += 1
            old_rec, new_rec = old_level["recommendation"], new_level["recommendation"]
            if old_rec != new_rec:
                self.levels_changed += 1
                self.level_transitions[f"{old_rec}->{new_rec}"] += 1
                changed_levels.append([new_level["level"], old_rec, new_rec])
            old_met = {f["rule"] for f in old_level["findings"] if f["status"] == _MET}
            new_met = {f["rule"] for f in new_level["findings"] if f["status"] == _MET}
            for rule in new_met - old_met:
                self.became_met[rule] += 1
            for rule in old_met - new_met:
                self.stopped_met[rule] += 1
        if before["recommendation"] == after["recommendation"]:
            return None
        self.changed += 1
        self.transitions[f"{before['recommendation']}->{after['recommendation']}"] += 1
        return ReplayOutcome(
            referral_id=row.referral_id,
            evaluation_id=row.evaluation_id,
            is_open=row.referral_status in OPEN_STATUSES,
            before=before["recommendation"],
            after=after["recommendation"],
            levels=changed_levels,
        )

    def summary(self) -> dict:
        """The CLI's answer: referral-level counts and transitions (changed ones only)."""
        return {
            "referrals": self.referrals,
            "changed": self.changed,
            "transitions": dict(sorted(self.transitions.items())),
        }

    def as_report(self) -> dict:
        """Everything counted, for the version's stored report."""
        rules = sorted(set(self.became_met) | set(self.stopped_met))
        return {
            **self.summary(),
            "levels": self.levels,
            "levels_changed": self.levels_changed,
            "level_transitions": dict(sorted(self.level_transitions.items())),
            "unreadable": self.unreadable,
            "rules": {
                rule: {"became_met": self.became_met[rule], "stopped_met": self.stopped_met[rule]}
                for rule in rules
            },
        }


def _case_date(row: ReplayRow) -> date:
    value = row.case.get("assessed_on") if isinstance(row.case, dict) else None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return row.evaluated_on


def replay_queryset(*, submitted_from: date | None = None, submitted_to: date | None = None):
    """The referrals a replay covers: every submitted one with an evaluation, in id order."""
    referrals = Referral.objects.filter(submitted_at__isnull=False, latest_evaluation__isnull=False)
    if submitted_from is not None:
        referrals = referrals.filter(submitted_at__date__gte=submitted_from)
    if submitted_to is not None:
        referrals = referrals.filter(submitted_at__date__lte=submitted_to)
    return referrals.order_by("id")


def replay_rows(referrals) -> Iterator[ReplayRow]:
    """Stream the latest evaluations of the referrals, a chunk at a time.

    The JSON columns are read as text and decoded here, one row at a time; the server-side
    cursor keeps at most CHUNK rows in memory.
    """
    rows = referrals.annotate(
        case_text=Cast("latest_evaluation__case", TextField()),
        result_text=Cast("latest_evaluation__result", TextField()),
    ).values_list(
        "id",
        "status",
        "latest_evaluation_id",
        "case_text",
        "result_text",
        "latest_evaluation__created_at",
    )
    loads = json.loads
    for referral_id, status, evaluation_id, case, result, created_at in rows.iterator(
        chunk_size=CHUNK
    ):
        yield ReplayRow(
            referral_id, status, evaluation_id, loads(case), loads(result), created_at.date()
        )
