"""Rule governance: a draft, its replay, two approvals (never the proposer's, never twice),
activation, new evaluations under it, rollback; every step in the audit trail."""

import copy
import datetime as dt

import pytest
from django.core import mail

from accounts.roles import Role
from audit.models import AuditEvent
from eligibility.conf import get_thresholds
from eligibility.engine import DEFAULT_THRESHOLDS, Thresholds, ruleset_version
from eligibility.models import Evaluation, RulesetImpact, RulesetVersion
from governance.services import (
    ALREADY_APPROVED,
    PROPOSER_CANNOT_APPROVE,
    GovernanceError,
    referral_reevaluate,
    ruleset_activate,
    ruleset_approve,
    ruleset_draft_create,
    ruleset_replay_request,
)
from reviews.models import Notification, NotificationKind
from tests.factories import ELIGIBLE_CASE, make_referral

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)
PAIN_SIX = copy.deepcopy(ELIGIBLE_CASE)
PAIN_SIX["levels"][0]["pain_nrs"] = 6  # not eligible at SEVERE_PAIN_NRS 7, eligible at 6
NRS6 = {**DEFAULT_THRESHOLDS.as_named(), "SEVERE_PAIN_NRS": 6}
NRS6_REASONS = {"SEVERE_PAIN_NRS": ("Our population reports lower scores.", "Clinic audit 2026")}


@pytest.fixture
def leads(make_user):
    return [
        make_user(Role.GOVERNANCE, username=f"lead-{n}", first_name=f"Lead{n}") for n in (1, 2, 3)
    ]


def propose(by, values=NRS6, reasons=NRS6_REASONS):
    return ruleset_draft_create(values=values, reasons=reasons, summary="Lower NRS band.", by=by)


def replayed(version, by, capture):
    with capture(execute=True):
        ruleset_replay_request(version=version, by=by)
    return version.replays.get()


def approved(leads, capture):
    draft = propose(leads[0])
    replayed(draft, leads[0], capture)
    ruleset_approve(version=draft, by=leads[1], comment="Agreed.")
    ruleset_approve(version=draft, by=leads[2], comment="Agreed too.")
    draft.refresh_from_db()
    return draft


def steps(version) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="eligibility.rulesetversion", object_id=str(version.pk)
        )
        .order_by("id")
        .values_list("details__step", flat=True)
    )


def test_first_proposal_records_the_seed_from_vpselect_thresholds_as_version_one(leads, settings):
    settings.VPSELECT_THRESHOLDS = {"INR_MAX": 1.6}
    draft = propose(leads[0], values={**NRS6, "INR_MAX": 1.6})
    seed = RulesetVersion.objects.get(number=1)
    assert (seed.status, seed.thresholds["INR_MAX"], seed.approvals.count()) == ("active", 1.6, 0)
    assert draft.based_on == seed and draft.number == 2 and draft.status == "draft"
    assert list(draft.changes) == ["SEVERE_PAIN_NRS"]
    assert draft.changes["SEVERE_PAIN_NRS"]["from"] == 7
    # Once recorded, the setting no longer changes anything at run time.
    settings.VPSELECT_THRESHOLDS = {"INR_MAX": 1.9}
    assert get_thresholds().inr_max == 1.6
    assert steps(seed) == ["seed"] and steps(draft) == ["propose"]


@pytest.mark.parametrize(
    ("values", "reasons", "field"),
    [
        (NRS6, {"SEVERE_PAIN_NRS": ("", "Clinic audit")}, "SEVERE_PAIN_NRS_rationale"),
        (NRS6, {"SEVERE_PAIN_NRS": ("Lower scores.", " ")}, "SEVERE_PAIN_NRS_citation"),
        ({**NRS6, "INR_MAX": 0}, NRS6_REASONS, "INR_MAX"),
        (DEFAULT_THRESHOLDS.as_named(), {}, ""),
    ],
)
def test_a_draft_without_a_reason_a_valid_value_or_a_change_is_refused_and_stores_nothing(
    leads, values, reasons, field
):
    with pytest.raises(GovernanceError) as refused:
        propose(leads[0], values=values, reasons=reasons)
    assert refused.value.field == field
    assert not RulesetVersion.objects.filter(status="draft").exists()


def test_approval_needs_a_finished_replay(leads):
    draft = propose(leads[0])
    with pytest.raises(GovernanceError, match="Replay this version"):
        ruleset_approve(version=draft, by=leads[1], comment="Looks fine.")
    assert draft.approvals.count() == 0


def test_two_approvals_neither_by_the_proposer_nor_twice_by_one_lead_approve_a_draft(
    leads, django_capture_on_commit_callbacks
):
    draft = propose(leads[0])
    replayed(draft, leads[0], django_capture_on_commit_callbacks)
    with pytest.raises(GovernanceError) as refused:
        ruleset_approve(version=draft, by=leads[0], comment="My own.")
    assert refused.value.message == PROPOSER_CANNOT_APPROVE
    ruleset_approve(version=draft, by=leads[1], comment="Agreed.")
    draft.refresh_from_db()
    assert draft.status == "draft"
    with pytest.raises(GovernanceError) as refused:
        ruleset_approve(version=draft, by=leads[1], comment="Agreed again.")
    assert refused.value.message == ALREADY_APPROVED
    with pytest.raises(GovernanceError, match="Only an approved version"):
        ruleset_activate(version=draft, by=leads[1], reason="Too early.")
    ruleset_approve(version=draft, by=leads[2], comment="Agreed too.")
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.approved_at is not None
    assert [a.approved_by for a in draft.approvals.all()] == leads[1:]
    assert steps(draft) == ["propose", "replay", "approve", "approve"]


def test_activation_makes_new_evaluations_carry_it_stored_ones_keep_theirs_then_rollback(
    leads, physician, django_capture_on_commit_callbacks
):
    before = make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
    old_evaluation = before.latest_evaluation
    assert old_evaluation.recommendation == "not_eligible"
    draft = approved(leads, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        ruleset_activate(version=draft, by=leads[1], reason="Clinic board decision of 2026-12-01.")
    draft.refresh_from_db()
    seed = RulesetVersion.objects.get(number=1)
    assert (draft.status, seed.status) == ("active", "retired")
    assert get_thresholds().severe_pain_nrs == 6

    after = make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
    assert after.latest_evaluation.ruleset_version == draft.ruleset_version
    assert after.latest_evaluation.recommendation == "eligible"
    old_evaluation.refresh_from_db()
    assert old_evaluation.ruleset_version == seed.ruleset_version == ruleset_version()
    assert old_evaluation.recommendation == "not_eligible"

    with django_capture_on_commit_callbacks(execute=True):
        activation = ruleset_activate(version=seed, by=leads[2], reason="Too many flags; undo.")
    assert activation.is_rollback and activation.previous == draft
    seed.refresh_from_db()
    draft.refresh_from_db()
    assert (seed.status, draft.status) == ("active", "retired")
    rolled_back = make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
    assert rolled_back.latest_evaluation.ruleset_version == seed.ruleset_version
    assert rolled_back.latest_evaluation.recommendation == "not_eligible"
    assert steps(seed) == ["seed", "rollback"]
    assert steps(draft)[-1] == "activate"
    rollback = AuditEvent.objects.get(details__step="rollback")
    assert (rollback.user, rollback.details["reason"]) == (leads[2], "Too many flags; undo.")


def test_activation_lists_open_referrals_that_change_for_their_radiologist_who_re_evaluates(
    leads, physician, radiologist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        changing = make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
        unchanged = make_referral(physician=physician, submit=True, today=TODAY)
    draft = approved(leads, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ruleset_activate(version=draft, by=leads[1], reason="Board decision.")

    [impact] = RulesetImpact.objects.filter(resolved_at__isnull=True)
    assert (impact.referral, impact.recommendation_before, impact.recommendation_after) == (
        changing,
        "not_eligible",
        "eligible",
    )
    notified = Notification.objects.filter(kind=NotificationKind.RULES_CHANGED)
    assert [(n.recipient, n.referral) for n in notified] == [(radiologist, changing)]
    [email] = [m for m in mail.outbox if "active rules" in m.subject]
    assert email.to == [radiologist.email] and f"referral #{changing.pk}" in email.subject
    patient = changing.patient
    assert patient.family_name not in email.body and patient.mrn not in email.body
    assert unchanged.latest_evaluation_id == Evaluation.objects.get(referral=unchanged).pk

    evaluation = referral_reevaluate(referral=changing, by=radiologist)
    changing.refresh_from_db()
    assert evaluation.ruleset_version == draft.ruleset_version
    assert changing.recommendation == "eligible" and changing.latest_evaluation == evaluation
    assert not RulesetImpact.objects.filter(resolved_at__isnull=True).exists()


def test_a_rollback_clears_the_earlier_list_of_affected_referrals(
    leads, physician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
    draft = approved(leads, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ruleset_activate(version=draft, by=leads[1], reason="Board decision.")
    assert RulesetImpact.objects.filter(resolved_at__isnull=True).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        ruleset_activate(version=RulesetVersion.objects.get(number=1), by=leads[2], reason="Undo.")
    # The stored evaluation is again what the active rules say: nothing to re-evaluate.
    assert not RulesetImpact.objects.filter(resolved_at__isnull=True).exists()


def test_thresholds_object_is_passed_to_the_engine_not_patched_into_it(leads, settings):
    draft = propose(leads[0])
    assert Thresholds.from_overrides(draft.thresholds).severe_pain_nrs == 6
    assert DEFAULT_THRESHOLDS.severe_pain_nrs == 7
