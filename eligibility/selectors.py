"""Reads of rule governance: versions with their people, replays, affected referrals."""

from django.db.models import Prefetch

from .models import ReplayChange, RulesetApproval, RulesetImpact, RulesetReplay, RulesetVersion


def ruleset_versions():
    """Every version, newest first, with its proposer and approvals."""
    return RulesetVersion.objects.select_related("proposed_by", "based_on").prefetch_related(
        Prefetch("approvals", queryset=RulesetApproval.objects.select_related("approved_by"))
    )


def active_version() -> RulesetVersion | None:
    return ruleset_versions().filter(status=RulesetVersion.Status.ACTIVE).first()


def version_by_ruleset(ruleset_version: str) -> RulesetVersion | None:
    """The governed version an evaluation's ruleset version string names (the newest match)."""
    return ruleset_versions().filter(ruleset_version=ruleset_version).first()


def latest_replay(version: RulesetVersion) -> RulesetReplay | None:
    return version.replays.select_related("requested_by").first()


def replay_changes(replay: RulesetReplay):
    """The changed referrals of a replay, open ones first, with the referral's status."""
    return (
        ReplayChange.objects.filter(replay=replay)
        .select_related("referral")
        .only(
            "referral_id",
            "referral__status",
            "evaluation_id",
            "is_open",
            "recommendation_before",
            "recommendation_after",
            "levels",
        )
        .order_by("-is_open", "referral_id")
    )


def open_impact(referral_id: int) -> RulesetImpact | None:
    """The unresolved rules-change notice of a referral, if any."""
    return (
        RulesetImpact.objects.filter(referral_id=referral_id, resolved_at__isnull=True)
        .select_related("activation__version")
        .first()
    )


def impacts_for(user):
    """Unresolved rules-change notices of referrals the user reviews or nobody holds yet."""
    from django.db.models import Q

    return (
        RulesetImpact.objects.filter(resolved_at__isnull=True)
        .filter(
            Q(referral__assigned_radiologist=user) | Q(referral__assigned_radiologist__isnull=True)
        )
        .select_related("activation__version")
        .order_by("referral_id")
    )
