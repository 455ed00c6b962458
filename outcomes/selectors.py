"""Reads of the outcomes app: who may see what, the patient's record, the cohort, the export."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe

from accounts.roles import Role, has_role, is_clinician
from patients.models import Patient, Referral
from reviews.models import ReviewDecision

from . import statistics
from .charts import BASELINE_SLOT, CohortPoint, PainPoint, cohort_chart_svg, pain_chart_svg
from .models import (
    USUAL_CEMENT_ML_MAX,
    USUAL_CEMENT_ML_MIN,
    FollowUp,
    FollowUpReminder,
    FollowUpStatus,
    PatientContact,
    PatientReport,
    Procedure,
    QuestionnaireInvitation,
    TreatedLevel,
)
from .questionnaires import QUESTIONNAIRES, Kind
from .schedule import INTERVALS, FollowUpState

RECORDING_ROLES = (Role.RADIOLOGIST, Role.STAFF)
VIEWING_ROLES = (Role.RADIOLOGIST, Role.STAFF, Role.PHYSICIAN)
DASHBOARD_ROLES = (Role.RADIOLOGIST,)
# Rows per page of the lists, as every list of the project.
PAGE_SIZE = 25


def can_record(user) -> bool:
    """Radiologists and clinic staff record procedures and follow-ups (members, not superusers)."""
    return is_clinician(user, *RECORDING_ROLES)


def effective_accept_decision(referral: Referral) -> ReviewDecision | None:
    """The referral's current decision when it is an acceptance that takes effect, else None."""
    decision = (
        ReviewDecision.objects.current()
        .filter(referral=referral)
        .select_related("countersignature", "evaluation")
        .first()
    )
    if decision is None or decision.outcome != ReviewDecision.Outcome.ACCEPT:
        return None
    return decision if decision.takes_effect else None


def visible_referrals(user) -> QuerySet[Referral]:
    """Referrals whose outcomes the user may see: all for radiologists and staff, a
    physician's own for a physician, none for anyone else."""
    referrals = Referral.objects.all()
    if has_role(user, *RECORDING_ROLES):
        return referrals
    if has_role(user, Role.PHYSICIAN):
        return referrals.filter(physician=user)
    return referrals.none()


def referral_for_outcomes(user, referral_id: int) -> Referral:
    """The referral, if the user may see its outcomes and it is accepted or treated; else 404."""
    referral = (
        visible_referrals(user)
        .select_related("patient", "physician", "assigned_radiologist")
        .filter(pk=referral_id)
        .filter(Q(status=Referral.Status.ACCEPTED) | Q(procedure__isnull=False))
        .first()
    )
    if referral is None:
        raise Http404
    return referral


def procedure_of(referral: Referral) -> Procedure | None:
    """The referral's procedure with its levels and follow-ups, or None (three queries)."""
    return (
        Procedure.objects.filter(referral=referral)
        .select_related("recorded_by", "responsible_radiologist", "decision")
        .prefetch_related(
            "levels",
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.select_related(
                    "recorded_by", "invitation", "patient_report"
                ),
            ),
        )
        .first()
    )


def pain_points(procedure: Procedure) -> list[PainPoint]:
    """The baseline and every recorded follow-up's pain NRS, for the chart."""
    points = []
    if procedure.baseline_pain_nrs is not None:
        points.append(PainPoint(BASELINE_SLOT[0], procedure.baseline_pain_nrs))
    for follow_up in procedure.follow_ups.all():
        if follow_up.is_completed and follow_up.pain_nrs is not None:
            on = follow_up.assessed_on.isoformat() if follow_up.assessed_on else ""
            points.append(PainPoint(follow_up.interval, follow_up.pain_nrs, on))
        report = _report_of(follow_up)
        if report is not None and report.pain_now_nrs is not None:
            on = report.submitted_at.date().isoformat()
            points.append(
                PainPoint(follow_up.interval, report.pain_now_nrs, on, patient_reported=True)
            )
    return points


def _report_of(follow_up: FollowUp) -> PatientReport | None:
    """The follow-up's patient report, or None (read from select_related, no query)."""
    return getattr(follow_up, "patient_report", None)


def _invitation_of(follow_up: FollowUp) -> QuestionnaireInvitation | None:
    return getattr(follow_up, "invitation", None)


def contact_of(patient: Patient) -> PatientContact | None:
    return (
        PatientContact.objects.filter(patient=patient).select_related("consent_recorded_by").first()
    )


@dataclass(frozen=True)
class PatientAnswer:
    question: str
    answer: str
    needs_call: bool = False


def patient_answers(report: PatientReport) -> list[PatientAnswer]:
    """The report's answers in the questionnaire's order, as the patient read them."""
    definition = QUESTIONNAIRES.get((report.questionnaire_key, report.questionnaire_version))
    if definition is None:
        return [PatientAnswer(key, str(value)) for key, value in report.answers.items()]
    answers = []
    for question in definition.questions:
        value = report.answers.get(question.key)
        if value in (None, ""):
            continue
        text = value if question.kind in (Kind.NRS, Kind.TEXT) else question.label_of(value)
        answers.append(
            PatientAnswer(str(question.text), text, needs_call=value in question.needs_call_values)
        )
    return answers


def complication_disagreement(procedure: Procedure, report: PatientReport | None) -> list[str]:
    """What the patient reports as a possible complication when the clinic recorded none."""
    if report is None or procedure.had_complications:
        return []
    definition = QUESTIONNAIRES.get((report.questionnaire_key, report.questionnaire_version))
    return definition.reported_complications(report.answers) if definition else []


def questionnaire_state(follow_up: FollowUp) -> str:
    """ "needs_call", "answered", "reminded", "invited", or "" (not invited)."""
    report = _report_of(follow_up)
    invitation = _invitation_of(follow_up)
    if follow_up.needs_call:
        return "needs_call"
    if report is not None:
        return "answered"
    if invitation is None:
        return ""
    return "reminded" if invitation.reminders_sent else "invited"


def procedure_pain_chart(procedure: Procedure, *, chart_id: str = "pain-chart") -> SafeString:
    """The patient's pain-over-time chart as inline SVG markup, safe to put in a template."""
    # The SVG is built by outcomes.charts, which escapes every text it writes.
    return mark_safe(pain_chart_svg(pain_points(procedure), chart_id=chart_id))  # noqa: S308


def latest_follow_up(procedure: Procedure) -> FollowUp | None:
    recorded = [follow_up for follow_up in procedure.follow_ups.all() if follow_up.is_completed]
    return recorded[-1] if recorded else None


def procedure_summary(referral: Referral) -> dict | None:
    """The procedure and latest outcome of a referral for the printed summary, or None.

    Keys: procedure (Procedure, with `levels` prefetched), levels (list of dicts: level,
    etiology, cement_volume_ml, approach, outside_usual_range), complications (text),
    baseline_pain_nrs, latest_follow_up (FollowUp or None), next_follow_up (FollowUp or None),
    follow_ups (all six, in order), pain_chart_svg (SafeString of inline SVG), and the usual
    cement range (usual_cement_ml_min / _max).
    """
    procedure = procedure_of(referral)
    return None if procedure is None else procedure_summary_of(procedure)


def procedure_summary_of(procedure: Procedure, *, today: date | None = None) -> dict:
    """`procedure_summary` for a procedure already loaded by `procedure_of`.

    With `today`, each follow-up gets its `state` on that day (for the status badges).
    """
    follow_ups = list(procedure.follow_ups.all())
    baseline = procedure.baseline_pain_nrs
    for follow_up in follow_ups:
        follow_up.state = follow_up.state_on(today) if today else FollowUpState(follow_up.status)
        follow_up.change_text = change_text(baseline, follow_up.pain_nrs)
        report = _report_of(follow_up)
        follow_up.report = report
        follow_up.invitation_sent = _invitation_of(follow_up)
        follow_up.questionnaire_state = questionnaire_state(follow_up)
        follow_up.patient_answers = patient_answers(report) if report else []
        follow_up.report_change_text = change_text(baseline, report.pain_now_nrs) if report else ""
        follow_up.complication_disagreement = complication_disagreement(procedure, report)
    return {
        "procedure": procedure,
        "levels": [
            {
                "level": level.level,
                "etiology": level.get_etiology_display(),
                "cement_volume_ml": level.cement_volume_ml,
                "approach": level.get_approach_display(),
                "outside_usual_range": level.volume_outside_usual_range,
            }
            for level in procedure.levels.all()
        ],
        "complications": complications_text(procedure),
        "baseline_pain_nrs": procedure.baseline_pain_nrs,
        "latest_follow_up": latest_follow_up(procedure),
        "next_follow_up": next(
            (follow_up for follow_up in follow_ups if not follow_up.is_completed), None
        ),
        "follow_ups": follow_ups,
        "has_patient_reports": any(follow_up.report for follow_up in follow_ups),
        "complication_disagreements": [
            follow_up for follow_up in follow_ups if follow_up.complication_disagreement
        ],
        "pain_chart_svg": procedure_pain_chart(
            procedure, chart_id=f"pain-chart-{procedure.referral_id}"
        ),
        "usual_cement_ml_min": USUAL_CEMENT_ML_MIN,
        "usual_cement_ml_max": USUAL_CEMENT_ML_MAX,
    }


def change_text(baseline: int | None, pain_nrs: int | None) -> str:
    """The change from baseline as "−3", "+1", "0", or "—" when either score is unknown."""
    if baseline is None or pain_nrs is None:
        return "—"
    change = pain_nrs - baseline
    return f"−{-change}" if change < 0 else f"+{change}" if change > 0 else "0"


def complications_text(procedure: Procedure) -> str:
    """One line: "None", or the leakage sites with or without symptoms and the other one."""
    if not procedure.had_complications:
        return "None"
    parts = []
    if procedure.leakage_sites:
        symptoms = {True: "with symptoms", False: "without symptoms", None: "symptoms unknown"}
        sites = ", ".join(label.lower() for label in procedure.leakage_site_labels)
        parts.append(f"Cement leakage ({sites}), {symptoms[procedure.leakage_symptomatic]}")
    if procedure.other_complication:
        parts.append(f"Other: {procedure.other_complication}")
    return "; ".join(parts)


def referrals_awaiting_procedure() -> QuerySet[Referral]:
    """Accepted referrals with no procedure recorded yet, oldest first, with their current
    acceptances prefetched (`with_accept_decision` gives each its `accept_decision`)."""
    return (
        Referral.objects.filter(status=Referral.Status.ACCEPTED, procedure__isnull=True)
        .select_related("patient", "assigned_radiologist")
        .prefetch_related(
            Prefetch(
                "review_decisions",
                queryset=ReviewDecision.objects.current().filter(
                    outcome=ReviewDecision.Outcome.ACCEPT
                ),
                to_attr="current_acceptances",
            )
        )
        .order_by("updated_at", "id")
    )


def with_accept_decision(referrals: Iterable[Referral]) -> list[Referral]:
    """The referrals of `referrals_awaiting_procedure`, each with `accept_decision` (its
    current acceptance, or None)."""
    referrals = list(referrals)
    for referral in referrals:
        referral.accept_decision = next(iter(referral.current_acceptances), None)
    return referrals


def awaiting_procedure_page(number, *, per_page: int | None = None) -> Page:
    """One page of `referrals_awaiting_procedure`, its rows with `accept_decision`: a count
    and two queries, whatever the rows. Out of range: the last page; missing or not a
    number: the first (Django's `Paginator.get_page`)."""
    page = Paginator(referrals_awaiting_procedure(), per_page or PAGE_SIZE).get_page(number)
    page.object_list = with_accept_decision(page.object_list)
    return page


def recent_procedures(user, *, today: date, limit: int = 50) -> list[Procedure]:
    """The latest procedures the user may see, each with `latest` (its latest recorded
    follow-up) and `next_open` (its first unrecorded one, with `state` on `today`)."""
    procedures = list(
        Procedure.objects.filter(referral__in=visible_referrals(user))
        .select_related("referral__patient", "responsible_radiologist")
        .prefetch_related("levels", "follow_ups")
        .order_by("-performed_on", "-id")[:limit]
    )
    for procedure in procedures:
        procedure.latest = latest_follow_up(procedure)
        procedure.next_open = next(
            (f for f in procedure.follow_ups.all() if not f.is_completed), None
        )
        if procedure.next_open is not None:
            procedure.next_open.state = procedure.next_open.state_on(today)
    return procedures


def open_follow_ups(*, today: date) -> QuerySet[FollowUp]:
    """Follow-ups due or overdue on `today` and not recorded, oldest target first
    (`with_state` gives each its `state`). Computed from the dates, so the list is right even
    before the daily task ran."""
    return (
        FollowUp.objects.exclude(status=FollowUpStatus.COMPLETED)
        .filter(target_date__lte=today)
        .select_related(
            "procedure__referral__patient",
            "procedure__responsible_radiologist",
            "invitation",
            "patient_report",
        )
        .order_by("target_date", "id")
    )


def with_state(follow_ups: Iterable[FollowUp], *, today: date) -> list[FollowUp]:
    """The follow-ups, each with its `state` and `days_late` on `today`."""
    follow_ups = list(follow_ups)
    for follow_up in follow_ups:
        follow_up.state = follow_up.state_on(today)
        follow_up.days_late = (today - follow_up.target_date).days
        follow_up.questionnaire_state = questionnaire_state(follow_up)
        follow_up.invitation_sent = _invitation_of(follow_up)
    return follow_ups


CHASE_LIST_SIZE = 50


def chase_list() -> QuerySet[QuestionnaireInvitation]:
    """Patients who did not answer after the last reminder, their follow-up not recorded:
    the longest waiting first (staff call them)."""
    return (
        QuestionnaireInvitation.objects.filter(
            answered_at__isnull=True, reminded_7_days_at__isnull=False
        )
        .exclude(follow_up__status=FollowUpStatus.COMPLETED)
        .select_related("follow_up__procedure__referral__patient__contact", "called_by")
        .order_by("invited_on", "id")
    )


def open_follow_ups_page(number, *, today: date, per_page: int | None = None) -> Page:
    """One page of `open_follow_ups`, its rows with `state` and `days_late`: a count and one
    query, whatever the rows. Out of range: the last page; missing or not a number: the
    first (Django's `Paginator.get_page`)."""
    page = Paginator(open_follow_ups(today=today), per_page or PAGE_SIZE).get_page(number)
    page.object_list = with_state(page.object_list, today=today)
    return page


def unread_reminders(user) -> QuerySet[FollowUpReminder]:
    return (
        FollowUpReminder.objects.filter(recipient=user, read_at__isnull=True)
        .select_related("follow_up__procedure")
        .order_by("-created_at", "-id")
    )


# --- The cohort -----------------------------------------------------------------------


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
    label: str
    summary: statistics.Summary
    by_points: statistics.Share | None = None  # None for the baseline row
    by_half: statistics.Share | None = None


@dataclass(frozen=True)
class ResponseRow:
    """Patient questionnaires at one interval: invited, answered (and after what), pain."""

    slot: str
    label: str
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
    def chart_svg(self) -> SafeString:
        points = [
            CohortPoint(row.slot, row.summary.n, row.summary.median, row.summary.q1, row.summary.q3)
            for row in self.rows
            if row.summary.n
        ]
        # Built by outcomes.charts, which escapes every text it writes.
        return mark_safe(cohort_chart_svg(points))  # noqa: S308


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
    rows = [IntervalRow(BASELINE_SLOT[0], "Baseline", statistics.summarise(known_baselines))]
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
            compared = baseline is not None and pain is not None
            row = {
                **common,
                "interval": follow_up.interval,
                "target_date": follow_up.target_date,
                "status": follow_up.status,
                "assessed_on": follow_up.assessed_on,
                "pain_nrs": pain,
                "pain_change": pain - baseline if compared else None,
                "improved_1_5_points": (
                    statistics.improved_by_points(baseline, pain) if compared else None
                ),
                "improved_50_percent": (
                    statistics.improved_by_fraction(baseline, pain) if compared else None
                ),
                "analgesics": follow_up.analgesics,
                "mobility": follow_up.mobility,
                "back_to_usual_activities": follow_up.back_to_usual_activities,
                "new_fracture": follow_up.new_fracture,
                "new_fracture_level": follow_up.new_fracture_level,
                "odi_pct": follow_up.odi_pct,
                "roland_morris": follow_up.roland_morris,
            }
            yield {column: _cell(row[column]) for column in EXPORT_COLUMNS}
