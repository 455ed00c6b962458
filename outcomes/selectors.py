"""Reads of the outcomes app: who may see what, the patient's record, the cohort, the export."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, is_clinician
from patients.access import Purpose, referrals_visible_to
from patients.models import Patient, Referral
from reviews.models import ReviewDecision
from vpselect.keyset import Keyset, KeysetPage

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
)
from .points import BASELINE_SLOT, PainPoint
from .questionnaires import QUESTIONNAIRES, Kind
from .schedule import FollowUpState

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


def referral_for_outcomes(user, referral_id: int) -> Referral:
    """The referral, if the user may see its outcomes and it is accepted or treated; else 404."""
    referral = (
        referrals_visible_to(user, purpose=Purpose.OUTCOMES)
        .select_related("patient", "physician", "assigned_radiologist", "latest_evaluation")
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


def latest_follow_up(procedure: Procedure) -> FollowUp | None:
    recorded = [follow_up for follow_up in procedure.follow_ups.all() if follow_up.is_completed]
    return recorded[-1] if recorded else None


def procedure_summary(referral: Referral) -> dict | None:
    """The procedure and latest outcome of a referral for the printed summary, or None.

    Keys: procedure (Procedure, with `levels` prefetched), levels (list of dicts: level,
    etiology, cement_volume_ml, approach, outside_usual_range), complications (text),
    baseline_pain_nrs, latest_follow_up (FollowUp or None), next_follow_up (FollowUp or None),
    follow_ups (all six, in order), pain_points and pain_chart_id (for `{% pain_chart %}`), and
    the usual cement range (usual_cement_ml_min / _max).
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
        "pain_points": pain_points(procedure),
        "pain_chart_id": f"pain-chart-{procedure.referral_id}",
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
        return str(_("None"))
    parts = []
    if procedure.leakage_sites:
        symptoms = {
            True: _("with symptoms"),
            False: _("without symptoms"),
            None: _("symptoms unknown"),
        }
        sites = ", ".join(label.lower() for label in procedure.leakage_site_labels)
        parts.append(
            _("Cement leakage ({sites}), {symptoms}").format(
                sites=sites, symptoms=symptoms[procedure.leakage_symptomatic]
            )
        )
    if procedure.other_complication:
        parts.append(_("Other: {complication}").format(complication=procedure.other_complication))
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
        Procedure.objects.filter(referral__in=referrals_visible_to(user, purpose=Purpose.OUTCOMES))
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


# The due list shows what is due or overdue within this; older open follow-ups (a patient
# lost to follow-up years ago) have a page of their own, so the list stays a year long.
DUE_WINDOW = timedelta(days=365)
DUE_ORDER = Keyset("target_date", descending=False)
# The columns a due row shows (templates/outcomes/follow_ups_due.html, `with_state`), and
# nothing else: not the referral's answers, the report's answers or a password hash.
DUE_ROW_FIELDS = (
    "interval",
    "target_date",
    "status",
    "needs_call",
    "procedure__referral__patient__given_name",
    "procedure__referral__patient__family_name",
    "procedure__referral__patient__mrn",
    "procedure__responsible_radiologist__username",
    "procedure__responsible_radiologist__first_name",
    "procedure__responsible_radiologist__last_name",
    "invitation__invited_on",
    "invitation__reminded_2_days_at",
    "invitation__reminded_7_days_at",
    "patient_report__id",
)


def open_follow_ups(*, today: date, older: bool = False) -> QuerySet[FollowUp]:
    """Follow-ups not recorded whose target date is within `DUE_WINDOW` up to `today` (or,
    `older`, before it), oldest target first (`with_state` gives each its `state`).
    Computed from the dates, so the list is right even before the daily task ran."""
    start = today - DUE_WINDOW
    window = Q(target_date__lt=start)
    if not older:
        window = Q(target_date__gte=start, target_date__lte=today)
    return DUE_ORDER.order_by(
        FollowUp.objects.exclude(status=FollowUpStatus.COMPLETED)
        .filter(window)
        .select_related(
            "procedure__referral__patient",
            "procedure__responsible_radiologist",
            "invitation",
            "patient_report",
        )
        .only(*DUE_ROW_FIELDS)
    )


def has_older_open_follow_ups(*, today: date) -> bool:
    """Whether a follow-up older than the due list's window is still not recorded."""
    return open_follow_ups(today=today, older=True).order_by().exists()


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


def open_follow_ups_page(
    *,
    today: date,
    older: bool = False,
    after: str = "",
    before: str = "",
    per_page: int | None = None,
) -> KeysetPage:
    """One page of `open_follow_ups` by position (just after the cursor `after`, just before
    `before`, or the first), its rows with `state` and `days_late`: one query, no count. A
    cursor that is not one gives the first page."""
    follow_ups = open_follow_ups(today=today, older=older)
    size = per_page or PAGE_SIZE
    try:
        page = DUE_ORDER.page(follow_ups, after=after, before=before, size=size)
    except ValueError:
        page = DUE_ORDER.page(follow_ups, size=size)
    return KeysetPage(with_state(page.rows, today=today), page.next, page.previous)


def unread_reminders(user) -> QuerySet[FollowUpReminder]:
    return (
        FollowUpReminder.objects.filter(recipient=user, read_at__isnull=True)
        .select_related("follow_up__procedure")
        .order_by("-created_at", "-id")
    )
