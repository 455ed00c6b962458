"""Reads of patients and referrals: what a physician may see, lists, histories and diffs.

Who may see which patient and referral is `patients.access` (Purpose.RECORD here: a physician
sees only their own, superusers all; anything else answers 404).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from eligibility.conf import get_thresholds
from eligibility.engine import evaluate
from eligibility.engine.facts import INPUT_LABELS
from eligibility.models import Evaluation

from .access import Purpose, patients_visible_to, referral_for, referrals_visible_to
from .cases import referral_case
from .models import Allergy, Etiology, Patient, RadicularCause, Referral, TargetLevel
from .questions import level_questions, referral_questions

MAX_SEARCH_TERMS = 5
# Tries at registering an MRN another physician holds, per user and window, before 429.
MRN_REFUSAL_LIMIT = 5
MRN_REFUSAL_WINDOW = timedelta(hours=1)
REFERRAL_LIST_COLUMNS = (
    "id",
    "status",
    "recommendation",
    "flagged",
    "updated_at",
    "patient__id",
    "patient__family_name",
    "patient__given_name",
    "patient__mrn",
)
HISTORY_LIMIT = 200


def _search_filter(search: str, prefix: str = "") -> Q:
    condition = Q()
    for term in search.split()[:MAX_SEARCH_TERMS]:
        condition &= (
            Q(**{f"{prefix}mrn__iexact": term})
            | Q(**{f"{prefix}family_name__icontains": term})
            | Q(**{f"{prefix}given_name__icontains": term})
        )
    return condition


def referral_list(*, user, search: str = "", status: str = "") -> QuerySet[Referral]:
    """The physician's referrals, most recently changed first, with their patient (the
    columns a row shows); `referral_list_values` gives a page of them as rows.

    On PostgreSQL each row brings its level labels, in the referral's order, as the array
    `level_labels` (a subquery per row of the page, in the page's query): one query fewer
    than reading them after the page (`level_labels`), which other databases do.
    """
    referrals = (
        referrals_visible_to(user, purpose=Purpose.RECORD)
        .select_related("patient")
        .only(*REFERRAL_LIST_COLUMNS)
        .order_by("-updated_at", "-id")
    )
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        labels = (
            TargetLevel.objects.filter(referral=OuterRef("pk"))
            .order_by("position", "id")
            .values("level")
        )
        referrals = referrals.annotate(level_labels=ArraySubquery(labels))
    if search:
        referrals = referrals.filter(_search_filter(search, "patient__"))
    if status:
        referrals = referrals.filter(status=status)
    return referrals


def referral_list_values(referrals: QuerySet[Referral]) -> list[dict]:
    """The columns a row of "My referrals" shows, for (a page of) `referral_list`, as dicts:
    `id`, `patient_id` (for the audit trail), `status`, `recommendation`, `flagged`,
    `updated_at`, `family_name`, `given_name`, `mrn` and `level_labels` (the labels in the
    referral's order). One query, and no model instances: building a deferred Referral and
    its Patient per row cost more than the values in them."""
    fields = {
        "family_name": F("patient__family_name"),
        "given_name": F("patient__given_name"),
        "mrn": F("patient__mrn"),
    }
    with_labels = "level_labels" in referrals.query.annotations
    values = list(
        referrals.values(
            "id",
            "patient_id",
            "status",
            "recommendation",
            "flagged",
            "updated_at",
            *(["level_labels"] if with_labels else []),
            **fields,
        )
    )
    if not with_labels:
        labels = level_labels([row["id"] for row in values])
        for row in values:
            row["level_labels"] = labels[row["id"]]
    return values


def level_labels(referral_ids: list[int]) -> dict[int, list[str]]:
    """The level labels of each referral, in the referral's order (one query): what a list
    row shows, without a model instance and a queryset per referral as a prefetch builds."""
    labels: dict[int, list[str]] = {pk: [] for pk in referral_ids}
    if labels:
        rows = (
            TargetLevel.objects.filter(referral_id__in=list(labels))
            .order_by("referral_id", "position", "id")
            .values_list("referral_id", "level")
        )
        for referral_id, label in rows:
            labels[referral_id].append(label)
    return labels


def patient_list(*, user, search: str = "") -> QuerySet[Patient]:
    """The physician's patients by name, each with the number of their referrals that the
    physician sees (`patients.access`, Purpose.RECORD: their own), as the patient's page lists
    them."""
    # Counted per row shown, not joined and grouped over every visible patient; the page's
    # count query then needs no join at all.
    referral_count = (
        referrals_visible_to(user, purpose=Purpose.RECORD)
        .filter(patient=OuterRef("pk"))
        .order_by()
        .values("patient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    patients = patients_visible_to(user, purpose=Purpose.RECORD).annotate(
        referral_count=Coalesce(Subquery(referral_count), 0)
    )
    if search:
        patients = patients.filter(_search_filter(search))
    return patients.order_by("family_name", "given_name", "id")


def mrn_refusals_recent(*, user, now) -> int:
    """How many MRNs of other physicians' patients the user tried in the last window."""
    from audit.models import AuditEvent

    return AuditEvent.objects.filter(
        user=user,
        action=AuditEvent.Action.MRN_REFUSED,
        occurred_at__gte=now - MRN_REFUSAL_WINDOW,
    ).count()


def referral_for_physician(*, user, pk: int, with_latest_evaluation: bool = True) -> Referral:
    """The referral if this physician made it; Http404 otherwise (existence not revealed).

    With its patient, and its latest evaluation (case and result) unless told otherwise.
    """
    related = ("patient", "latest_evaluation") if with_latest_evaluation else ("patient",)
    return referral_for(user, pk, purpose=Purpose.RECORD, related=related)


def patient_referrals(*, patient: Patient, user) -> list[Referral]:
    """The patient's referrals visible to the physician, newest first, with evaluations."""
    evaluations = Evaluation.objects.order_by("-created_at", "-id").only(
        "id", "referral_id", "recommendation", "flagged", "ruleset_version", "created_at"
    )
    return list(
        referrals_visible_to(user, purpose=Purpose.RECORD)
        .filter(patient=patient)
        .prefetch_related(
            Prefetch("levels", queryset=TargetLevel.objects.only("id", "referral_id", "level")),
            Prefetch("evaluations", queryset=evaluations),
        )
        .order_by("-created_at", "-id")
    )


def referral_preview(*, referral: Referral, levels: list[TargetLevel], today: date):
    """Evaluate unsaved answers exactly as a submission would: (case, result). Stores nothing.

    Raises eligibility.engine.CaseValidationError when the answers are not a valid case.
    """
    case = referral_case(referral, levels=levels, assessed_on=today)
    return case, evaluate(case, today=today, thresholds=get_thresholds())


# --- Answers, diffs and history as text -------------------------------------------------------

_CHOICE_LABELS = {
    "etiology": dict(Etiology.choices),
    "radicular_cause": dict(RadicularCause.choices),
    "allergies": dict(Allergy.choices),
    "status": dict(Referral.Status.choices),
    "sex": {"female": "Female", "male": "Male", "other": "Other"},
}


def answer_text(name: str, value) -> str:
    """An answer as a physician reads it: yes / no / unknown, labels of choices, units."""
    if value is None or value == "":
        return "unknown" if name != "allergies" else "not asked / unknown"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if name == "allergies":
        if not value:
            return "none known"
        labels = _CHOICE_LABELS["allergies"]
        return ", ".join(labels.get(item, str(item)) for item in value)
    if name in _CHOICE_LABELS:
        return _CHOICE_LABELS[name].get(value, str(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        # As entered: 1.1 not 1.10, 210 not 210.0 (never in exponent form).
        return f"{value.normalize():f}"
    return str(value)


def referral_answer_rows(referral: Referral) -> list[tuple[str, str]]:
    """The referral-level answers as (question, answer) in the clinic's order."""
    return [
        ("Assessment date", answer_text("assessed_on", referral.assessed_on)),
        *(
            (question.label, answer_text(name, getattr(referral, name)))
            for name, question in referral_questions().items()
        ),
    ]


def level_answer_rows(target_level: TargetLevel) -> list[tuple[str, str]]:
    """A level's answers as (question, answer), the level label left out."""
    return [
        (question.label, answer_text(name, getattr(target_level, name)))
        for name, question in level_questions().items()
        if name != "level"
    ]


@dataclass(frozen=True, slots=True)
class Change:
    """One answer that differs between two versions: what it is, before and after, as text."""

    label: str
    before: str
    after: str


def _case_label(path: str) -> str:
    return INPUT_LABELS.get(path, path)


def _flatten_case(case: dict) -> dict[str, tuple[str, object]]:
    """path → (label, value); levels are keyed by their label so reordering is no change."""
    flat: dict[str, tuple[str, object]] = {}
    for key, value in case.items():
        if key == "levels":
            continue
        if key == "patient" and isinstance(value, dict):
            for name, item in value.items():
                flat[f"patient.{name}"] = (_case_label(f"patient.{name}"), (name, item))
            continue
        flat[key] = (_case_label(key), (key, value))
    for level in case.get("levels") or []:
        label = level.get("level")
        flat[f"{label}"] = (f"level {label}", ("level", "listed"))
        for name, item in level.items():
            if name != "level":
                flat[f"{label}.{name}"] = (
                    f"{label} {INPUT_LABELS.get(f'levels[].{name}', name)}",
                    (name, item),
                )
    return flat


def case_changes(before: dict, after: dict) -> list[Change]:
    """What changed from one case snapshot to the next, answer by answer, in case order."""
    old, new = _flatten_case(before), _flatten_case(after)
    changes = []
    for path in [*new, *(path for path in old if path not in new)]:
        old_entry, new_entry = old.get(path), new.get(path)
        old_value = old_entry[1] if old_entry else None
        new_value = new_entry[1] if new_entry else None
        if old_value == new_value:
            continue
        label = (new_entry or old_entry)[0]
        changes.append(
            Change(
                label=label,
                before=answer_text(*old_value) if old_value else "—",
                after=answer_text(*new_value) if new_value else "—",
            )
        )
    return changes


@dataclass(frozen=True, slots=True)
class EvaluationEntry:
    """An evaluation of a referral and what changed in its case since the one before."""

    evaluation: Evaluation
    changes: list[Change]
    first: bool
    recommendation_changed: bool
    assessed_on: date | None = None


def evaluation_assessed_on(evaluation: Evaluation | None) -> date | None:
    """The date the evaluation judged the case on (its case's `assessed_on`)."""
    if evaluation is None or not evaluation.case.get("assessed_on"):
        return None
    return date.fromisoformat(evaluation.case["assessed_on"])


def referral_evaluations(*, referral: Referral) -> list[EvaluationEntry]:
    """All evaluations of the referral, newest first, each with its changes since the last."""
    evaluations = list(
        referral.evaluations.select_related("created_by").order_by("created_at", "id")
    )
    entries = []
    previous = None
    for evaluation in evaluations:
        entries.append(
            EvaluationEntry(
                evaluation=evaluation,
                changes=case_changes(previous.case, evaluation.case) if previous else [],
                first=previous is None,
                recommendation_changed=(
                    previous is not None and previous.recommendation != evaluation.recommendation
                ),
                assessed_on=evaluation_assessed_on(evaluation),
            )
        )
        previous = evaluation
    return entries[::-1]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change of the referral or of one of its levels."""

    when: datetime
    who: str
    what: str
    changes: list[Change]


def _referral_tracked() -> tuple[str, ...]:
    return ("status", "assessed_on", *referral_questions())


def _level_tracked() -> tuple[str, ...]:
    return tuple(level_questions())


def _history_diff(previous, record, fields: tuple[str, ...]) -> list[Change]:
    changes = []
    for name in fields:
        old = getattr(previous, name) if previous is not None else None
        new = getattr(record, name)
        if previous is not None and old == new:
            continue
        if previous is None and new in (None, ""):
            continue
        label = INPUT_LABELS.get(name) or INPUT_LABELS.get(f"levels[].{name}") or name
        changes.append(
            Change(
                label=label,
                before=answer_text(name, old) if previous is not None else "—",
                after=answer_text(name, new),
            )
        )
    return changes


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def referral_change_history(*, referral: Referral) -> list[HistoryEntry]:
    """The referral's recorded changes and its levels', newest first (simple-history)."""
    referral_records = list(
        Referral.history.filter(id=referral.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:HISTORY_LIMIT]
    )[::-1]
    level_records = list(
        TargetLevel.history.filter(referral_id=referral.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:HISTORY_LIMIT]
    )[::-1]
    entries = []
    previous = None
    for record in referral_records:
        changes = _history_diff(previous, record, _referral_tracked())
        what = "Referral created" if record.history_type == "+" else "Referral changed"
        if changes or record.history_type == "+":
            entries.append(HistoryEntry(record.history_date, _who(record), what, changes))
        previous = record
    last_by_level: dict[int, object] = {}
    for record in level_records:
        before = last_by_level.get(record.id)
        if record.history_type == "-":
            what, changes = f"Level {record.level} removed", []
        else:
            changes = _history_diff(before, record, _level_tracked())
            verb = "added" if record.history_type == "+" or before is None else "changed"
            what = f"Level {record.level} {verb}"
        last_by_level[record.id] = record
        if changes or record.history_type in {"+", "-"}:
            entries.append(HistoryEntry(record.history_date, _who(record), what, changes))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries
