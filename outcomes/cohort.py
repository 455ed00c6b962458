"""The cohort: the procedures a dashboard filter selects, their figures (pain by interval,
complications, cement, questionnaire response) and the research export (codes and numbers,
no names)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from . import statistics
from .models import (
    USUAL_CEMENT_ML_MAX,
    USUAL_CEMENT_ML_MIN,
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


def _expand(counted) -> list:
    """[(value, n), …] as the list of values, each n times: the figures below are small
    integers (pain 0–10) or millilitres to one decimal, so counted in SQL, not fetched."""
    return [value for value, n in counted for _ in range(n)]


def cohort_report(filters: CohortFilters) -> CohortReport:
    """The dashboard's figures for the selected procedures, in five queries whose answers
    are counts per value (their size does not grow with the cohort)."""
    cohort = cohort_procedures(filters).order_by()
    procedures = list(
        cohort.values_list("baseline_pain_nrs", "had_complications", "leakage_symptomatic")
        .annotate(leakage=_has_leakage(), n=Count("id"))
        .order_by()
    )
    total = sum(row[-1] for row in procedures)
    pairs_by_interval: dict[str, list[tuple[tuple[int | None, int], int]]] = {
        interval.key: [] for interval in INTERVALS
    }
    for interval, baseline, pain, n in (
        FollowUp.objects.filter(
            procedure__in=cohort, status=FollowUpStatus.COMPLETED, pain_nrs__isnull=False
        )
        .values_list("interval", "procedure__baseline_pain_nrs", "pain_nrs")
        .annotate(n=Count("id"))
        .order_by()
    ):
        pairs_by_interval[interval].append(((baseline, pain), n))
    volumes = [
        float(volume)
        for volume in _expand(
            TreatedLevel.objects.filter(procedure__in=cohort)
            .values_list("cement_volume_ml")
            .annotate(n=Count("id"))
            .order_by()
        )
    ]
    known_baselines = _expand(
        (baseline, row[-1]) for row in procedures if (baseline := row[0]) is not None
    )
    rows = [IntervalRow(BASELINE_SLOT[0], BASELINE_SLOT[1], statistics.summarise(known_baselines))]
    for interval in INTERVALS:
        values = _expand(pairs_by_interval[interval.key])
        pairs = [(baseline, pain) for baseline, pain in values if baseline is not None]
        by_points, by_half = statistics.improvement_shares(pairs)
        rows.append(
            IntervalRow(
                interval.key,
                interval.label,
                statistics.summarise([pain for _baseline, pain in values]),
                by_points,
                by_half,
            )
        )
    return CohortReport(
        procedures=total,
        with_complications=statistics.Share(
            sum(n for _b, complications, _s, _l, n in procedures if complications), total
        ),
        symptomatic_leakage=statistics.Share(
            sum(n for _b, _c, symptomatic, leakage, n in procedures if leakage and symptomatic),
            total,
        ),
        cement=statistics.summarise(volumes),
        cement_outside_usual=statistics.Share(
            sum(not USUAL_CEMENT_ML_MIN <= volume <= USUAL_CEMENT_ML_MAX for volume in volumes),
            len(volumes),
        ),
        rows=rows,
        responses=response_rows(cohort),
    )


def _has_leakage():
    """Whether a procedure's leakage_sites (a JSON list) is not empty, as SQL."""
    return ExpressionWrapper(~Q(leakage_sites=[]), output_field=BooleanField())


def response_rows(procedures: QuerySet[Procedure]) -> list[ResponseRow]:
    """Response to the patient questionnaires per interval, in two queries."""
    invited = dict.fromkeys((interval.key for interval in INTERVALS), 0)
    for interval in QuestionnaireInvitation.objects.filter(
        follow_up__procedure__in=procedures
    ).values_list("follow_up__interval", flat=True):
        invited[interval] += 1
    reports: dict[str, list[tuple[int, bool, int | None]]] = {i.key: [] for i in INTERVALS}
    for interval, reminders, after_call, pain in PatientReport.objects.filter(
        follow_up__procedure__in=procedures, follow_up__invitation__isnull=False
    ).values_list("follow_up__interval", "reminders_before", "after_call", "pain_now_nrs"):
        reports[interval].append((reminders, after_call, pain))
    return [
        ResponseRow(
            slot=interval.key,
            label=interval.label,
            invited=invited[interval.key],
            answered=statistics.Share(len(reports[interval.key]), invited[interval.key]),
            after_reminder=sum(
                reminders > 0 and not call for reminders, call, _ in reports[interval.key]
            ),
            after_call=sum(call for _, call, _ in reports[interval.key]),
            pain=statistics.summarise(
                [pain for _, _, pain in reports[interval.key] if pain is not None]
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


def export_rows(filters: CohortFilters) -> Iterable[dict[str, str]]:
    """One row per follow-up of the selected procedures: codes and numbers, no names.

    Free text (the "other complication") is left out: it may hold identifying details and
    is a spreadsheet-formula risk.
    """
    procedures = (
        cohort_procedures(filters)
        .prefetch_related("levels", "follow_ups")
        .order_by("performed_on", "id")
    )
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
