"""Template filters of the governance pages: no queries, words only."""

from django import template

from eligibility.models import Recommendation

register = template.Library()
_LABELS = dict(Recommendation.choices)


@register.filter
def recommendation_label(value: str) -> str:
    """ "not_eligible" → "Not eligible"; an unknown value as it is."""
    return str(_LABELS.get(value, value))
