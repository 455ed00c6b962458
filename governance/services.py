"""Governance of the thresholds: propose a version, replay it, approve it twice, activate it.

Every step locks the version row, checks who may take it, and appends an audit event naming
who, when and why. Rolling back is activating an earlier approved version: a new activation.
"""

import logging
from collections.abc import Mapping
from datetime import date
from functools import partial

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import audit_record
from eligibility.conf import forget_active_ruleset, seed_thresholds
from eligibility.engine import THRESHOLD_NAMES, Thresholds, ruleset_version
from eligibility.models import (
    ReplayChange,
    RulesetActivation,
    RulesetApproval,
    RulesetImpact,
    RulesetReplay,
    RulesetVersion,
)
from eligibility.services import evaluation_record
from eligibility.signals import ruleset_impact_found
from patients.cases import referral_case
from patients.models import Referral

from .replay import CHUNK, OPEN_STATUSES, ReplayTally, replay_queryset, replay_rows

logger = logging.getLogger(__name__)

APPROVALS_NEEDED = 2
PROGRESS_EVERY = 500

NO_CHANGE = _("This version changes no threshold: change at least one value.")
RATIONALE_REQUIRED = _("Say why this value changes.")
CITATION_REQUIRED = _("Cite the source of this value.")
SUMMARY_REQUIRED = _("Say why this version is proposed.")
NOT_A_DRAFT = _("Only a draft can be approved.")
PROPOSER_CANNOT_APPROVE = _("You proposed this version: two other governance leads approve it.")
ALREADY_APPROVED = _("You already approved this version: a second lead must approve it.")
REPLAY_REQUIRED = _("Replay this version on past referrals before approving it.")
COMMENT_REQUIRED = _("Say why you approve (or activate) this version.")
NOT_ACTIVATABLE = _("Only an approved version (or an earlier active one) can be activated.")
ALREADY_ACTIVE = _("This version is already the active one.")
REPLAY_ONLY_FOR_DRAFTS = _("Only a draft or approved version is replayed.")
WINDOW_REVERSED = _("The start of the window is after its end.")


class GovernanceError(Exception):
    """A governance step refused; `field` names the form field it concerns ("" for none)."""

    def __init__(self, message, field: str = ""):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _audit(*, action: str, version: RulesetVersion, by, step: str, **details) -> None:
    audit_record(action=action, user=by, obj=version, details={"step": step, **details})


def _plain(thresholds: Thresholds) -> dict:
    """The named values, 50.0 stored as 50 (one value; the fingerprint agrees)."""
    return {
        name: int(value) if isinstance(value, float) and value.is_integer() else value
        for name, value in thresholds.as_named().items()
    }


def _lock(version: RulesetVersion) -> RulesetVersion:
    return RulesetVersion.objects.select_for_update().get(pk=version.pk)


def _next_number() -> int:
    return (RulesetVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def ruleset_seed(*, by=None) -> RulesetVersion:
    """The active version; when there is none yet, version 1 from VPSELECT_THRESHOLDS.

    The seed is the status quo the clinic ran under, so it is active without approvals.
    """
    active = RulesetVersion.objects.select_for_update().filter(status=RulesetVersion.Status.ACTIVE)
    current = active.first()
    if current is not None:
        return current
    thresholds = seed_thresholds()
    now = timezone.now()
    version = RulesetVersion.objects.create(
        number=_next_number(),
        status=RulesetVersion.Status.ACTIVE,
        thresholds=_plain(thresholds),
        summary=str(_("The values in force before governance (VPSELECT_THRESHOLDS).")),
        ruleset_version=ruleset_version(thresholds),
        proposed_by=by,
        approved_at=now,
        activated_at=now,
    )
    RulesetActivation.objects.create(
        version=version, activated_by=by, activated_at=now, reason=version.summary
    )
    _audit(action=AuditEvent.Action.CREATE, version=version, by=by, step="seed")
    forget_active_ruleset()
    return version


@transaction.atomic
def ruleset_draft_create(
    *,
    values: Mapping[str, object],
    reasons: Mapping[str, tuple[str, str]],
    summary: str,
    by,
) -> RulesetVersion:
    """Propose a draft: every threshold's value, and a rationale and citation per change.

    `reasons` maps a threshold name to (rationale, citation). Raises GovernanceError naming
    the field when a value is invalid, nothing changes, or a change lacks its reasons.
    """
    base = ruleset_seed(by=by)
    try:
        thresholds = Thresholds.from_overrides(dict(values))
    except ValueError as exc:
        field = next((name for name in THRESHOLD_NAMES if name in str(exc)), "")
        raise GovernanceError(str(exc), field) from exc
    named = _plain(thresholds)
    changes = {}
    for name, value in named.items():
        if value == base.thresholds.get(name):
            continue
        rationale, citation = (text.strip() for text in reasons.get(name, ("", "")))
        if not rationale:
            raise GovernanceError(RATIONALE_REQUIRED, f"{name}_rationale")
        if not citation:
            raise GovernanceError(CITATION_REQUIRED, f"{name}_citation")
        changes[name] = {
            "from": base.thresholds.get(name),
            "to": value,
            "rationale": rationale,
            "citation": citation,
        }
    if not changes:
        raise GovernanceError(NO_CHANGE)
    if not summary.strip():
        raise GovernanceError(SUMMARY_REQUIRED, "summary")
    version = RulesetVersion.objects.create(
        number=_next_number(),
        thresholds=named,
        changes=changes,
        summary=summary.strip(),
        ruleset_version=ruleset_version(thresholds),
        based_on=base,
        proposed_by=by,
    )
    _audit(
        action=AuditEvent.Action.CREATE,
        version=version,
        by=by,
        step="propose",
        changes=sorted(changes),
    )
    return version


@transaction.atomic
def ruleset_approve(*, version: RulesetVersion, by, comment: str) -> RulesetApproval:
    """One governance lead's approval; the second one makes the version approved.

    Refused for the proposer, for a lead who already approved, before a finished replay, and
    for a version that is not a draft.
    """
    version = _lock(version)
    if version.status != RulesetVersion.Status.DRAFT:
        raise GovernanceError(NOT_A_DRAFT)
    if version.proposed_by_id == by.pk:
        raise GovernanceError(PROPOSER_CANNOT_APPROVE)
    if version.approvals.filter(approved_by=by).exists():
        raise GovernanceError(ALREADY_APPROVED)
    if not version.replays.filter(status=RulesetReplay.Status.DONE).exists():
        raise GovernanceError(REPLAY_REQUIRED)
    if not comment.strip():
        raise GovernanceError(COMMENT_REQUIRED, "comment")
    approval = RulesetApproval.objects.create(version=version, approved_by=by, comment=comment)
    if version.approvals.count() >= APPROVALS_NEEDED:
        version.status = RulesetVersion.Status.APPROVED
        version.approved_at = approval.approved_at
        version.save(update_fields=["status", "approved_at"])
    _audit(
        action=AuditEvent.Action.CHANGE,
        version=version,
        by=by,
        step="approve",
        status=version.status,
        comment=comment,
    )
    return approval


@transaction.atomic
def ruleset_activate(*, version: RulesetVersion, by, reason: str) -> RulesetActivation:
    """Make an approved version the one new evaluations use; the active one retires.

    Activating an earlier version (retired) is a rollback. Stored evaluations keep their own
    version. Open referrals whose recommendation would change are found after the commit.
    """
    if not reason.strip():
        raise GovernanceError(COMMENT_REQUIRED, "reason")
    current = ruleset_seed(by=by)
    version = _lock(version)
    if version.pk == current.pk:
        raise GovernanceError(ALREADY_ACTIVE)
    if version.status not in (RulesetVersion.Status.APPROVED, RulesetVersion.Status.RETIRED):
        raise GovernanceError(NOT_ACTIVATABLE)
    is_rollback = version.status == RulesetVersion.Status.RETIRED
    current.status = RulesetVersion.Status.RETIRED
    current.save(update_fields=["status"])
    now = timezone.now()
    version.status = RulesetVersion.Status.ACTIVE
    version.activated_at = now
    version.save(update_fields=["status", "activated_at"])
    activation = RulesetActivation.objects.create(
        version=version,
        previous=current,
        activated_by=by,
        activated_at=now,
        reason=reason.strip(),
        is_rollback=is_rollback,
    )
    # Earlier lists of affected referrals no longer describe the rules in force.
    RulesetImpact.objects.filter(resolved_at__isnull=True).update(resolved_at=now)
    _audit(
        action=AuditEvent.Action.CHANGE,
        version=version,
        by=by,
        step="rollback" if is_rollback else "activate",
        previous=current.number,
        reason=reason.strip(),
    )
    forget_active_ruleset()
    transaction.on_commit(forget_active_ruleset)
    transaction.on_commit(partial(_queue_impacts, activation.pk))
    return activation


def _queue_impacts(activation_id: int) -> None:
    from .tasks import find_ruleset_impacts

    try:
        find_ruleset_impacts.delay(activation_id)
    except Exception as exc:  # noqa: BLE001 - kombu and redis raise many kinds
        # Activations are rare and the radiologists must hear of them: do it here instead.
        logger.warning("Activation %s: impacts not queued (%s).", activation_id, type(exc).__name__)
        ruleset_impacts_find(activation_id=activation_id)


@transaction.atomic
def ruleset_replay_request(
    *,
    version: RulesetVersion,
    by,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
) -> RulesetReplay:
    """Queue a replay of the version on past referrals (a Celery task after the commit)."""
    if version.status not in (RulesetVersion.Status.DRAFT, RulesetVersion.Status.APPROVED):
        raise GovernanceError(REPLAY_ONLY_FOR_DRAFTS)
    if submitted_from and submitted_to and submitted_from > submitted_to:
        raise GovernanceError(WINDOW_REVERSED, "submitted_from")
    replay = RulesetReplay.objects.create(
        version=version,
        requested_by=by,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
    )
    _audit(action=AuditEvent.Action.VIEW, version=version, by=by, step="replay", replay=replay.pk)
    transaction.on_commit(partial(_queue_replay, replay.pk))
    return replay


def _queue_replay(replay_id: int) -> None:
    from .tasks import run_ruleset_replay

    try:
        run_ruleset_replay.delay(replay_id)
    except Exception as exc:  # noqa: BLE001 - kombu and redis raise many kinds
        RulesetReplay.objects.filter(pk=replay_id).update(
            status=RulesetReplay.Status.FAILED, error=f"Not queued: {type(exc).__name__}"
        )


def ruleset_replay_run(*, replay_id: int) -> RulesetReplay:
    """Run a queued replay: stream the referrals, count, store the changed ones in batches.

    Progress is committed as it goes (the page polls it); no evaluation or referral is
    written. A second run of a replay already started does nothing.
    """
    started = RulesetReplay.objects.filter(pk=replay_id, status=RulesetReplay.Status.QUEUED).update(
        status=RulesetReplay.Status.RUNNING, started_at=timezone.now()
    )
    replay = RulesetReplay.objects.select_related("version").get(pk=replay_id)
    if not started:
        return replay
    try:
        referrals = replay_queryset(
            submitted_from=replay.submitted_from, submitted_to=replay.submitted_to
        )
        total = referrals.count()
        RulesetReplay.objects.filter(pk=replay_id).update(total=total)
        tally = ReplayTally(Thresholds.from_overrides(replay.version.thresholds))
        batch: list[ReplayChange] = []
        done = 0
        for row in replay_rows(referrals):
            outcome = tally.add(row)
            done += 1
            if outcome is not None:
                batch.append(
                    ReplayChange(
                        replay_id=replay_id,
                        referral_id=outcome.referral_id,
                        evaluation_id=outcome.evaluation_id,
                        is_open=outcome.is_open,
                        recommendation_before=outcome.before,
                        recommendation_after=outcome.after,
                        levels=outcome.levels,
                    )
                )
                if len(batch) >= CHUNK:
                    ReplayChange.objects.bulk_create(batch)
                    batch.clear()
            if done % PROGRESS_EVERY == 0:
                RulesetReplay.objects.filter(pk=replay_id).update(done=done)
        ReplayChange.objects.bulk_create(batch)
        RulesetReplay.objects.filter(pk=replay_id).update(
            status=RulesetReplay.Status.DONE,
            done=done,
            total=max(total, done),
            report=tally.as_report(),
            finished_at=timezone.now(),
        )
    except Exception as exc:
        RulesetReplay.objects.filter(pk=replay_id).update(
            status=RulesetReplay.Status.FAILED,
            error=f"{type(exc).__name__}"[:200],
            finished_at=timezone.now(),
        )
        raise
    replay.refresh_from_db()
    return replay


def ruleset_impacts_find(*, activation_id: int) -> int:
    """List the open referrals whose recommendation the activated version would change,
    and tell their radiologist (or every radiologist when none holds it). Returns how many.
    """
    activation = RulesetActivation.objects.select_related("version").get(pk=activation_id)
    if activation.impacts_checked_at is not None:
        return activation.impacts.count()
    tally = ReplayTally(Thresholds.from_overrides(activation.version.thresholds))
    referrals = replay_queryset().filter(status__in=OPEN_STATUSES[:2])
    found = 0
    with transaction.atomic():
        for row in replay_rows(referrals):
            outcome = tally.add(row)
            if outcome is None:
                continue
            RulesetImpact.objects.create(
                activation=activation,
                referral_id=outcome.referral_id,
                recommendation_before=outcome.before,
                recommendation_after=outcome.after,
            )
            # The review app tells the radiologists (its outbox), in this transaction.
            ruleset_impact_found.send(sender=RulesetImpact, referral_id=outcome.referral_id)
            found += 1
        RulesetActivation.objects.filter(pk=activation_id).update(impacts_checked_at=timezone.now())
    return found


@transaction.atomic
def referral_reevaluate(*, referral, by):
    """Evaluate an open referral again under the active rules ("re-evaluate" on the review
    page): a new evaluation, the referral's version bumped, its rules-change notice resolved.
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    today = referral.assessed_on or timezone.localdate()
    evaluation, fields = evaluation_record(
        referral=referral, case=referral_case(referral, assessed_on=today), by=by, today=today
    )
    referral.version += 1
    referral._history_user = by
    referral.save(update_fields=[*fields, "version", "updated_at"])
    RulesetImpact.objects.filter(referral=referral, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    return evaluation
