"""The cohort: the procedures a dashboard filter selects, their figures (pain by interval,
complications, cement, questionnaire response) and the research export (codes and numbers,
no names)."""

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, QuerySet

from vpselect.keyset import Keyset

from . import statistics
from .models import (
    USUAL_CEMENT_ML_MAX,
    USUAL_CEMENT_ML_MIN,
    CohortTally,
    FollowUp,
    FollowUpStatus,
    PatientReport,
    Procedure,
    QuestionnaireInvitation,
    TreatedLevel,
)
from .points import BASELINE_SLOT, CohortPoint
from .schedule import INTERVALS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class CohortFilters:
    etiology: str = ""
    level: str = ""
    performed_from: date | None = None
    performed_to: date | None = None

    def as_dict(self) -> dict:
        return {
            "etiology": self.etiology,
            "level": self.level,
            "performed_from": self.performed_from.isoformat() if self.performed_from else "",
            "performed_to": self.performed_to.isoformat() if self.performed_to else "",
        }


def cohort_procedures(filters: CohortFilters) -> QuerySet[Procedure]:
    """Procedures matching the filters: a treated level of that etiology / label, in range."""
    procedures = Procedure.objects.all()
    level_filter = Q()
    if filters.etiology:
        level_filter &= Q(etiology=filters.etiology)
    if filters.level:
        level_filter &= Q(level=filters.level)
    if level_filter:
        procedures = procedures.filter(
            pk__in=TreatedLevel.objects.filter(level_filter).values("procedure_id")
        )
    if filters.performed_from:
        procedures = procedures.filter(performed_on__gte=filters.performed_from)
    if filters.performed_to:
        procedures = procedures.filter(performed_on__lte=filters.performed_to)
    return procedures


@dataclass(frozen=True)
class IntervalRow:
    slot: str
    label: "StrOrPromise"
    summary: statistics.Summary
    by_points: statistics.Share | None = None  # None for the baseline row
    by_half: statistics.Share | None = None


@dataclass(frozen=True)
class ResponseRow:
    """Patient questionnaires at one interval: invited, answered (and after what), pain."""

    slot: str
    label: "StrOrPromise"
    invited: int
    answered: statistics.Share
    after_reminder: int
    after_call: int
    pain: statistics.Summary


@dataclass(frozen=True)
class CohortReport:
    procedures: int
    with_complications: statistics.Share
    symptomatic_leakage: statistics.Share
    cement: statistics.Summary
    cement_outside_usual: statistics.Share
    rows: list[IntervalRow] = field(default_factory=list)
    responses: list[ResponseRow] = field(default_factory=list)

    @property
    def chart_points(self) -> list[CohortPoint]:
        """The median and quartiles of each slot with scores, for the cohort chart."""
        points = []
        for row in self.rows:
            summary = row.summary  # all None for an empty sample
            if summary.median is not None and summary.q1 is not None and summary.q3 is not None:
                points.append(
                    CohortPoint(row.slot, summary.n, summary.median, summary.q1, summary.q3)
                )
        return points


# --- Counts per value ---------------------------------------------------------------------
# Every figure of the dashboard is computed from counts per value: (measure, the values as
# a JSON list) -> how many. For a filtered cohort they are counted live (five queries); for
# the whole cohort they are read from CohortTally, which holds the same counts.

Counts = Counter[tuple[str, str]]
PROCEDURE = "procedure"  # baseline pain, had complications, leakage symptomatic, leakage
PAIN = "pain"  # interval, baseline pain, pain at the follow-up (recorded, with a pain score)
CEMENT = "cement"  # a treated level's cement volume, in ml to one decimal, as text
INVITED = "invited"  # a questionnaire invitation's interval
REPORT = "report"  # interval, reminders before the answer, answered after a call, pain now


def _value(*values) -> str:
    return json.dumps(values)


def cohort_counts(procedures: QuerySet[Procedure]) -> Counts:
    """The counts per value of every dashboard figure over `procedures`: five queries whose
    answers do not grow with the cohort."""
    procedures = procedures.order_by()
    counts: Counts = Counter()
    for baseline, complications, symptomatic, leakage, n in (
        procedures.values_list("baseline_pain_nrs", "had_complications", "leakage_symptomatic")
        .annotate(leakage=_has_leakage(), n=Count("id"))
        .order_by()
    ):
        counts[PROCEDURE, _value(baseline, complications, symptomatic, leakage)] += n
    for interval, baseline, pain, n in (
        FollowUp.objects.filter(
            procedure__in=procedures, status=FollowUpStatus.COMPLETED, pain_nrs__isnull=False
        )
        .values_list("interval", "procedure__baseline_pain_nrs", "pain_nrs")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[PAIN, _value(interval, baseline, pain)] += n
    for volume, n in (
        TreatedLevel.objects.filter(procedure__in=procedures)
        .values_list("cement_volume_ml")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[CEMENT, _value(str(volume))] += n
    for interval, n in (
        QuestionnaireInvitation.objects.filter(follow_up__procedure__in=procedures)
        .values_list("follow_up__interval")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[INVITED, _value(interval)] += n
    for interval, reminders, after_call, pain, n in (
        PatientReport.objects.filter(
            follow_up__procedure__in=procedures, follow_up__invitation__isnull=False
        )
        .values_list("follow_up__interval", "reminders_before", "after_call", "pain_now_nrs")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[REPORT, _value(interval, reminders, after_call, pain)] += n
    return counts


# --- The kept cohorts ----------------------------------------------------------------------
# The tally keeps the counts of the whole cohort and of every cohort the etiology and level
# filters select; with dates, the dashboard counts live.


def cohort_name(etiology: str = "", level: str = "") -> str:
    """The tally's name of the cohort of an etiology and/or a level ("" for all)."""
    parts = [f"etiology={etiology}" if etiology else "", f"level={level}" if level else ""]
    return "&".join(part for part in parts if part)


def kept_cohort(filters: CohortFilters) -> str | None:
    """The name of the kept cohort the filters select, or None when the tally has none."""
    if filters.performed_from or filters.performed_to:
        return None
    return cohort_name(filters.etiology, filters.level)


def cohorts_of(levels: Iterable[tuple[str, str]]) -> set[str]:
    """The kept cohorts a procedure with these treated levels, (etiology, level), is in."""
    names = {""}
    for etiology, level in levels:
        names.add(cohort_name(level=level))
        if etiology:
            names.add(cohort_name(etiology=etiology))
            names.add(cohort_name(etiology, level))
    return names


def tallied_counts(cohort: str = "") -> Counts:
    """The counts of a kept cohort, as kept in CohortTally: one query of a few hundred rows."""
    return Counter(
        {
            (measure, value): count
            for measure, value, count in CohortTally.objects.filter(
                cohort=cohort, count__gt=0
            ).values_list("measure", "value", "count")
        }
    )


def _counted(counts: Counts, measure: str) -> list[tuple[list, int]]:
    return [(json.loads(value), n) for (kind, value), n in counts.items() if kind == measure]


def cohort_report(filters: CohortFilters) -> CohortReport:
    """The dashboard's figures for the selected procedures: from the tally (one query) when
    it keeps that cohort, else counted live (five queries; filters with dates)."""
    kept = kept_cohort(filters)
    if kept is not None:
        return report_of(tallied_counts(kept))
    return report_of(cohort_counts(cohort_procedures(filters)))


def report_of(counts: Counts) -> CohortReport:
    """The dashboard's figures from the counts per value of a cohort (never the values one by
    one: their number grows with the cohort, the counts' does not)."""
    procedures = _counted(counts, PROCEDURE)
    total = sum(n for _values, n in procedures)
    pairs_by_interval: dict[str, list[tuple[tuple[int | None, int], int]]] = {
        interval.key: [] for interval in INTERVALS
    }
    for (interval, baseline, pain), n in _counted(counts, PAIN):
        pairs_by_interval[interval].append(((baseline, pain), n))
    volumes = [(float(volume), n) for (volume,), n in _counted(counts, CEMENT)]
    known_baselines = [
        (baseline, n) for (baseline, *_rest), n in procedures if baseline is not None
    ]
    rows = [
        IntervalRow(
            BASELINE_SLOT[0], BASELINE_SLOT[1], statistics.summarise_counted(known_baselines)
        )
    ]
    for interval in INTERVALS:
        counted = pairs_by_interval[interval.key]
        pairs = [((baseline, pain), n) for (baseline, pain), n in counted if baseline is not None]
        by_points, by_half = statistics.improvement_shares_counted(pairs)
        rows.append(
            IntervalRow(
                interval.key,
                interval.label,
                statistics.summarise_counted((pain, n) for (_baseline, pain), n in counted),
                by_points,
                by_half,
            )
        )
    return CohortReport(
        procedures=total,
        with_complications=statistics.Share(
            sum(n for (_b, complications, _s, _l), n in procedures if complications), total
        ),
        symptomatic_leakage=statistics.Share(
            sum(n for (_b, _c, symptomatic, leakage), n in procedures if leakage and symptomatic),
            total,
        ),
        cement=statistics.summarise_counted(volumes),
        cement_outside_usual=statistics.Share(
            sum(
                n
                for volume, n in volumes
                if not USUAL_CEMENT_ML_MIN <= volume <= USUAL_CEMENT_ML_MAX
            ),
            sum(n for _volume, n in volumes),
        ),
        rows=rows,
        responses=response_rows(counts),
    )


def _has_leakage():
    """Whether a procedure's leakage_sites (a JSON list) is not empty, as SQL."""
    return ExpressionWrapper(~Q(leakage_sites=[]), output_field=BooleanField())


def response_rows(counts: Counts) -> list[ResponseRow]:
    """Response to the patient questionnaires per interval, from the counts."""
    invited = dict.fromkeys((interval.key for interval in INTERVALS), 0)
    for (interval,), n in _counted(counts, INVITED):
        invited[interval] += n
    reports: dict[str, list[tuple[tuple[int, bool, int | None], int]]] = {
        interval.key: [] for interval in INTERVALS
    }
    for (interval, reminders, after_call, pain), n in _counted(counts, REPORT):
        reports[interval].append(((reminders, after_call, pain), n))
    return [
        ResponseRow(
            slot=interval.key,
            label=interval.label,
            invited=invited[interval.key],
            answered=statistics.Share(
                sum(n for _report, n in reports[interval.key]), invited[interval.key]
            ),
            after_reminder=sum(
                n for (reminders, call, _), n in reports[interval.key] if reminders > 0 and not call
            ),
            after_call=sum(n for (_, call, _), n in reports[interval.key] if call),
            pain=statistics.summarise_counted(
                (pain, n) for (_, _, pain), n in reports[interval.key] if pain is not None
            ),
        )
        for interval in INTERVALS
    ]


# --- The export -----------------------------------------------------------------------

EXPORT_COLUMNS: tuple[str, ...] = (
    "referral_id",
    "procedure_id",
    "performed_on",
    "levels",
    "etiologies",
    "cement_ml",
    "guidance",
    "anaesthesia",
    "admission",
    "had_complications",
    "leakage_sites",
    "leakage_symptomatic",
    "baseline_pain_nrs",
    "interval",
    "target_date",
    "status",
    "assessed_on",
    "pain_nrs",
    "pain_change",
    "improved_1_5_points",
    "improved_50_percent",
    "analgesics",
    "mobility",
    "back_to_usual_activities",
    "new_fracture",
    "new_fracture_level",
    "odi_pct",
    "roland_morris",
)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


EXPORT_ORDER = Keyset("performed_on", descending=False)


def last_procedure_id() -> int:
    """The newest procedure's id (0 when none): the bound of an export that begins now."""
    return Procedure.objects.aggregate(last=Max("id"))["last"] or 0


def export_rows(filters: CohortFilters, *, up_to_id: int, chunk: int) -> Iterator[dict[str, str]]:
    """One row per follow-up of the selected procedures up to `up_to_id`, by procedure date:
    codes and numbers, no names. Read `chunk` procedures at a time by position (no
    server-side cursor, which PgBouncer's transaction mode lacks; no more than a chunk in
    memory).

    Free text (the "other complication") is left out: it may hold identifying details and
    is a spreadsheet-formula risk.
    """
    procedures = (
        cohort_procedures(filters).filter(id__lte=up_to_id).prefetch_related("levels", "follow_ups")
    )
    for batch in EXPORT_ORDER.batches(procedures, size=chunk):
        yield from _procedure_rows(batch)


def _procedure_rows(procedures: Iterable[Procedure]) -> Iterator[dict[str, str]]:
    for procedure in procedures:
        levels = list(procedure.levels.all())
        common = {
            "referral_id": procedure.referral_id,
            "procedure_id": procedure.pk,
            "performed_on": procedure.performed_on,
            "levels": ";".join(level.level for level in levels),
            "etiologies": ";".join(level.etiology for level in levels),
            "cement_ml": ";".join(str(level.cement_volume_ml) for level in levels),
            "guidance": procedure.guidance,
            "anaesthesia": procedure.anaesthesia,
            "admission": procedure.admission,
            "had_complications": procedure.had_complications,
            "leakage_sites": ";".join(procedure.leakage_sites),
            "leakage_symptomatic": procedure.leakage_symptomatic,
            "baseline_pain_nrs": procedure.baseline_pain_nrs,
        }
        baseline = procedure.baseline_pain_nrs
        for follow_up in procedure.follow_ups.all():
            pain = follow_up.pain_nrs
            pain_change: int | None = None
            by_points: bool | None = None
            by_half: bool | None = None
            if baseline is not None and pain is not None:
                pain_change = pain - baseline
                by_points = statistics.improved_by_points(baseline, pain)
                by_half = statistics.improved_by_fraction(baseline, pain)
            row = {
                **common,
                "interval": follow_up.interval,
                "target_date": follow_up.target_date,
                "status": follow_up.status,
                "assessed_on": follow_up.assessed_on,
                "pain_nrs": pain,
                "pain_change": pain_change,
                "improved_1_5_points": by_points,
                "improved_50_percent": by_half,
                "analgesics": follow_up.analgesics,
                "mobility": follow_up.mobility,
                "back_to_usual_activities": follow_up.back_to_usual_activities,
                "new_fracture": follow_up.new_fracture,
                "new_fracture_level": follow_up.new_fracture_level,
                "odi_pct": follow_up.odi_pct,
                "roland_morris": follow_up.roland_morris,
            }
            yield {column: _cell(row[column]) for column in EXPORT_COLUMNS}
