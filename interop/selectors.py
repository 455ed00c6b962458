"""Reads of the EHR connection: card statistics. Which referrals a user may export is
`patients.access` (Purpose.EXPORT)."""

from django.db.models import Count, Q

from .models import CdsEvaluation, CdsFeedback


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
