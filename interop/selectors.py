"""Reads of the EHR connection: which referrals a user may export, and card statistics."""

from django.db.models import Count, Q
from django.http import Http404

from accounts.roles import Role, has_role
from patients.models import Referral

from .models import CdsEvaluation, CdsFeedback


def referral_for_export(*, user, pk: int) -> Referral:
    """The referral with its patient, physician, levels and latest evaluation, if the user may
    see it: its own physician, administrators, and radiologists and clinic staff once it is
    submitted (a draft is the physician's own, as on the worklist). Else Http404."""
    referrals = Referral.objects.select_related(
        "patient__clinic", "physician", "latest_evaluation"
    ).prefetch_related("levels")
    if getattr(user, "is_superuser", False):
        pass
    elif has_role(user, Role.RADIOLOGIST, Role.STAFF):
        referrals = referrals.filter(Q(physician=user) | ~Q(status=Referral.Status.DRAFT))
    elif has_role(user, Role.PHYSICIAN):
        referrals = referrals.filter(physician=user)
    else:
        raise Http404
    try:
        return referrals.get(pk=pk)
    except Referral.DoesNotExist:
        raise Http404 from None


def cds_override_counts() -> dict[str, dict[str, int]]:
    """Per rule a card was about: how many cards named it, and how many were overridden or
    accepted (each card counted once per outcome, however often the EHR reported it)."""
    counts: dict[str, dict[str, int]] = {}
    rows = CdsEvaluation.objects.annotate(
        overridden=Count("feedback", filter=Q(feedback__outcome=CdsFeedback.Outcome.OVERRIDDEN)),
        accepted=Count("feedback", filter=Q(feedback__outcome=CdsFeedback.Outcome.ACCEPTED)),
    ).values_list("rules", "overridden", "accepted")
    for rules, overridden, accepted in rows:
        for rule in rules:
            entry = counts.setdefault(rule, {"cards": 0, "overridden": 0, "accepted": 0})
            entry["cards"] += 1
            entry["overridden"] += bool(overridden)
            entry["accepted"] += bool(accepted)
    return counts
