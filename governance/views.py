"""The rules page and rule governance: propose, replay, approve, activate (or roll back)."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.mixins import require_role
from accounts.roles import Role, has_role
from audit.models import AuditEvent
from audit.services import audit_note
from eligibility import selectors
from eligibility.conf import get_thresholds
from eligibility.engine import RULES_BY_ID, THRESHOLD_NAMES
from eligibility.i18n import decision_order, rule_rows, source_text, unit_text
from eligibility.models import RulesetReplay, RulesetVersion
from eligibility.seed import seed_text
from patients.models import Referral

from .forms import ActivationForm, ApprovalForm, ReplayForm, RulesetDraftForm
from .services import (
    APPROVALS_NEEDED,
    GovernanceError,
    referral_reevaluate,
    ruleset_activate,
    ruleset_approve,
    ruleset_draft_create,
    ruleset_replay_request,
)

CHANGES_PER_PAGE = 50
CSV_COLUMNS = ("referral", "status", "open", "before", "after", "levels")


def _threshold_rows(values: dict, changes: dict) -> list[dict]:
    return [
        {
            "name": name,
            "value": values.get(name),
            "unit": unit_text(name),
            "source": source_text(name),
            "change": changes.get(name),
        }
        for name in THRESHOLD_NAMES
    ]


def _evidence_rules(threshold_rows: list[dict]) -> list[dict]:
    by_name = {row["name"]: row for row in threshold_rows}
    return [
        {**rule, "threshold_rows": [by_name[name] for name in rule["thresholds"]]}
        for rule in rule_rows()
    ]


@require_GET
def rules(request):
    """About these rules: the active version and its approvers, the thresholds in force with
    their sources, and every rule's wording (translated and the seed's) with what it reads."""
    require_role(request.user, *Role)
    active = selectors.active_version()
    governance = has_role(request.user, Role.GOVERNANCE)
    values = active.thresholds if active else get_thresholds().as_named()
    threshold_rows = _threshold_rows(values, active.changes if active else {})
    context = {
        "active": active,
        "threshold_rows": threshold_rows,
        "rules": _evidence_rules(threshold_rows),
        "seed_text": seed_text(),
        "decision_order": decision_order(),
        "governance": governance,
        "versions": list(selectors.ruleset_versions()) if governance else [],
        "impacts": (
            list(selectors.impacts_for(request.user))
            if has_role(request.user, Role.RADIOLOGIST)
            else []
        ),
    }
    return render(request, "governance/rules.html", context)


def version_create(request):
    """Propose a draft version: every value, and why and whence for each change."""
    require_role(request.user, Role.GOVERNANCE)
    active = get_thresholds().as_named()
    form = RulesetDraftForm(request.POST if request.method == "POST" else None, active=active)
    if request.method == "POST" and form.is_valid():
        try:
            version = ruleset_draft_create(
                values=form.values(),
                reasons=form.reasons(),
                summary=form.cleaned_data["summary"],
                by=request.user,
            )
        except GovernanceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            return redirect(version)
    status = 400 if form.is_bound else 200
    return render(request, "governance/version_form.html", {"form": form}, status=status)


def _version(version_id: int) -> RulesetVersion:
    return get_object_or_404(selectors.ruleset_versions(), pk=version_id)


def _version_page(request, version, *, approval_form=None, activation_form=None, status=200):
    replay = selectors.latest_replay(version)
    approvers = [approval.approved_by_id for approval in version.approvals.all()]
    context = {
        "version": version,
        "threshold_rows": _threshold_rows(version.thresholds, version.changes),
        "replay": replay,
        "replay_form": ReplayForm(),
        "approval_form": approval_form or ApprovalForm(),
        "activation_form": activation_form or ActivationForm(),
        "may_approve": version.status == RulesetVersion.Status.DRAFT
        and version.proposed_by_id != request.user.pk
        and request.user.pk not in approvers,
        "approvals_needed": APPROVALS_NEEDED,
        "may_activate": version.status
        in (RulesetVersion.Status.APPROVED, RulesetVersion.Status.RETIRED),
    }
    context.update(_replay_context(replay))
    return render(request, "governance/version_detail.html", context, status=status)


def _replay_context(replay: RulesetReplay | None) -> dict:
    if replay is None or replay.status != RulesetReplay.Status.DONE:
        return {"changes_page": None}
    page = Paginator(selectors.replay_changes(replay), CHANGES_PER_PAGE).get_page(1)
    transitions = sorted(
        (
            (key.split("->")[0], key.split("->")[1], count)
            for key, count in replay.report.get("transitions", {}).items()
        ),
        key=lambda row: -row[2],
    )
    rule_rows = [
        (rule, RULES_BY_ID[rule].text if rule in RULES_BY_ID else "", counts)
        for rule, counts in replay.report.get("rules", {}).items()
    ]
    return {"changes_page": page, "transitions": transitions, "rule_rows": rule_rows}


@require_GET
def version_detail(request, version_id: int):
    """A version: its values and reasons, replay and report, approvals, activation."""
    require_role(request.user, Role.GOVERNANCE)
    version = _version(version_id)
    audit_note(request, version)
    return _version_page(request, version)


@require_POST
def version_replay(request, version_id: int):
    require_role(request.user, Role.GOVERNANCE)
    version = _version(version_id)
    audit_note(request, version)
    form = ReplayForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect(version)
    try:
        ruleset_replay_request(version=version, by=request.user, **form.cleaned_data)
    except GovernanceError as exc:
        messages.error(request, exc.message)
    return redirect(version)


@require_GET
def replay_progress(request, replay_id: int):
    """The replay's progress bar (polled while it runs) or, once done, its report."""
    require_role(request.user, Role.GOVERNANCE)
    replay = get_object_or_404(RulesetReplay.objects.select_related("version"), pk=replay_id)
    audit_note(request, replay.version)
    context = {"replay": replay, "version": replay.version, **_replay_context(replay)}
    return render(request, "governance/_replay.html", context)


def _csv_rows(replay: RulesetReplay):
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(CSV_COLUMNS)
    for change in selectors.replay_changes(replay).iterator(chunk_size=1000):
        levels = "; ".join(
            f"{level}: {before} -> {after}" for level, before, after in change.levels
        )
        yield writer.writerow(
            [
                change.referral_id,
                change.referral.status,
                "yes" if change.is_open else "no",
                change.recommendation_before,
                change.recommendation_after,
                levels,
            ]
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def replay_csv(request, replay_id: int):
    """The changed referrals of a finished replay as CSV, streamed."""
    require_role(request.user, Role.GOVERNANCE)
    replay = get_object_or_404(RulesetReplay, pk=replay_id, status=RulesetReplay.Status.DONE)
    audit_note(request, replay.version, action=AuditEvent.Action.EXPORT, replay=replay.pk)
    response = StreamingHttpResponse(_csv_rows(replay), content_type="text/csv; charset=utf-8")
    name = f"ruleset-{replay.version.number}-replay-{replay.pk}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def version_approve(request, version_id: int):
    require_role(request.user, Role.GOVERNANCE)
    version = _version(version_id)
    audit_note(request, version)
    form = ApprovalForm(request.POST)
    if form.is_valid():
        try:
            ruleset_approve(version=version, by=request.user, comment=form.cleaned_data["comment"])
        except GovernanceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Your approval is recorded."))
            return redirect(version)
    return _version_page(request, _version(version_id), approval_form=form, status=400)


@require_POST
def version_activate(request, version_id: int):
    require_role(request.user, Role.GOVERNANCE)
    version = _version(version_id)
    audit_note(request, version)
    form = ActivationForm(request.POST)
    if form.is_valid():
        try:
            ruleset_activate(version=version, by=request.user, reason=form.cleaned_data["reason"])
        except GovernanceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request, _("Version %(number)s is now active.") % {"number": version.number}
            )
            return redirect("governance:rules")
    return _version_page(request, _version(version_id), activation_form=form, status=400)


@require_POST
def referral_reevaluate_view(request, referral_id: int):
    """Re-evaluate an open referral under the active rules (from its review page)."""
    require_role(request.user, Role.RADIOLOGIST)
    referral = get_object_or_404(
        Referral,
        pk=referral_id,
        status__in=(Referral.Status.SUBMITTED, Referral.Status.UNDER_REVIEW),
    )
    audit_note(request, referral)
    if selectors.open_impact(referral.pk) is None:
        raise Http404
    referral_reevaluate(referral=referral, by=request.user)
    messages.success(request, _("Re-evaluated under the active rules."))
    return redirect("reviews:review", referral_id=referral.pk)
