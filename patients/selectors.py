"""Reads of patients and referrals: what a physician may see, lists, histories and diffs.

Who may see which patient and referral is `patients.access` (Purpose.RECORD here: a physician
sees only their own, superusers all; anything else answers 404).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from eligibility.conf import get_thresholds
from eligibility.engine import evaluate
from eligibility.models import Evaluation

from .access import Purpose, patients_visible_to, referral_for, referrals_visible_to
from .cases import referral_case
from .models import Patient, Referral, TargetLevel
from .vocabulary import (
    LEVEL_FIELDS,
    NO_VALUE,
    REFERRAL_FIELDS,
    answer_text,
    label,
)

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


@dataclass(frozen=True, slots=True)
class Change:
    """One answer that differs between two versions: what it is, before and after, as text."""

    label: str
    before: str
    after: str


def _flatten_case(case: dict) -> dict[str, tuple[str, object]]:
    """path → (label, (name, value)); levels are keyed by their label so reordering is no
    change."""
    flat: dict[str, tuple[str, object]] = {}
    for key, value in case.items():
        if key == "levels":
            continue
        if key == "patient" and isinstance(value, dict):
            for name, item in value.items():
                flat[f"patient.{name}"] = (label(name), (name, item))
            continue
        flat[key] = (label(key), (key, value))
    for level in case.get("levels") or []:
        level_label = level.get("level")
        flat[f"{level_label}"] = (
            gettext("Level %(level)s") % {"level": level_label},
            ("level", gettext("listed")),
        )
        for name, item in level.items():
            if name != "level":
                flat[f"{level_label}.{name}"] = (f"{level_label} · {label(name)}", (name, item))
    return flat


def _change_text(entry) -> str:
    if not entry:
        return NO_VALUE
    name, value = entry
    return value if name == "level" else answer_text(name, value)


def case_changes(before: dict, after: dict) -> list[Change]:
    """What changed from one case snapshot to the next, answer by answer, in case order."""
    old, new = _flatten_case(before), _flatten_case(after)
    changes = []
    for path in [*new, *(path for path in old if path not in new)]:
        old_value = old[path][1] if path in old else None
        new_value = new[path][1] if path in new else None
        if old_value == new_value:
            continue
        label = new[path][0] if path in new else old[path][0]
        changes.append(
            Change(label=label, before=_change_text(old_value), after=_change_text(new_value))
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
                assessed_on=evaluation.assessed_on,
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


_REFERRAL_TRACKED = ("status", "assessed_on", *REFERRAL_FIELDS)


def _history_diff(previous, record, fields: tuple[str, ...]) -> list[Change]:
    changes = []
    for name in fields:
        old = getattr(previous, name) if previous is not None else None
        new = getattr(record, name)
        if previous is not None and old == new:
            continue
        if previous is None and new in (None, ""):
            continue
        changes.append(
            Change(
                label=label(name),
                before=answer_text(name, old) if previous is not None else NO_VALUE,
                after=answer_text(name, new),
            )
        )
    return changes


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return gettext("system")
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
        changes = _history_diff(previous, record, _REFERRAL_TRACKED)
        what = (
            gettext("Referral created")
            if record.history_type == "+"
            else gettext("Referral changed")
        )
        if changes or record.history_type == "+":
            entries.append(HistoryEntry(record.history_date, _who(record), what, changes))
        previous = record
    last_by_level: dict[int, object] = {}
    for record in level_records:
        before = last_by_level.get(record.id)
        if record.history_type == "-":
            what, changes = gettext("Level %(level)s removed") % {"level": record.level}, []
        else:
            changes = _history_diff(before, record, LEVEL_FIELDS)
            what = (
                gettext("Level %(level)s added")
                if record.history_type == "+" or before is None
                else gettext("Level %(level)s changed")
            ) % {"level": record.level}
        last_by_level[record.id] = record
        if changes or record.history_type in {"+", "-"}:
            entries.append(HistoryEntry(record.history_date, _who(record), what, changes))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


# --- The patient banner -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BannerFlag:
    """A fact a clinician must not miss, with how loudly to show it ("danger" or "warning")."""

    text: str
    severity: str


@dataclass(frozen=True, slots=True)
class PatientBanner:
    """Who the patient is and what must not be missed, for the top of every patient page.

    Allergies and flags are those answered on `referral` (the page's referral, or the
    patient's latest one the reader sees); None when there is no referral to read them from.
    """

    patient_id: int
    name: str
    age: int
    sex: str
    mrn: str
    date_of_birth: date
    referral_id: int | None
    allergies: str | None
    allergies_known: bool
    flags: list[BannerFlag]


def age_on(born: date, on: date) -> int:
    """Whole years from `born` to `on`."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _banner_flags(referral: Referral) -> list[BannerFlag]:
    flags = []
    result = referral.latest_evaluation.result if referral.latest_evaluation else {}
    absolute = sorted(
        {
            finding.get("text") or finding["rule"]
            for level in (result or {}).get("levels", [])
            for finding in level.get("findings", [])
            if finding.get("kind") == "absolute" and finding.get("status") == "met"
        }
    )
    for text in absolute:
        flags.append(
            BannerFlag(_("Absolute contraindication met: %(rule)s") % {"rule": text}, "danger")
        )
    if referral.coagulopathy:
        corrected = {
            True: _("Coagulopathy (corrected)"),
            False: _("Coagulopathy (not corrected)"),
            None: _("Coagulopathy (correction unknown)"),
        }
        flags.append(
            BannerFlag(
                corrected[referral.coagulopathy_corrected],
                "warning" if referral.coagulopathy_corrected else "danger",
            )
        )
    if referral.systemic_infection:
        flags.append(BannerFlag(_("Systemic infection"), "danger"))
    if referral.local_infection:
        flags.append(BannerFlag(_("Local infection at the access site"), "danger"))
    return flags


def patient_banner(
    *, patient: Patient, referral: Referral | None = None, today: date
) -> PatientBanner:
    """The banner of a patient page; reads nothing more than `patient` and `referral` (with
    its latest evaluation, when loaded) hold."""
    allergies = None
    if referral is not None and referral.allergies is not None:
        allergies = answer_text("allergies", referral.allergies)
    return PatientBanner(
        patient_id=patient.pk,
        name=patient.full_name,
        age=age_on(patient.date_of_birth, today),
        sex=patient.get_sex_display(),
        mrn=patient.mrn,
        date_of_birth=patient.date_of_birth,
        referral_id=referral.pk if referral is not None else None,
        allergies=allergies,
        allergies_known=bool(referral is not None and referral.allergies),
        flags=_banner_flags(referral) if referral is not None else [],
    )
