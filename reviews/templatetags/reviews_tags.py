"""Template helpers of the review app: badges, answers in words, decisions for the referrer."""

from django import template
from django.db.models import Q
from django.utils.html import format_html
from django.utils.text import capfirst

from eligibility.models import Recommendation
from patients.cases import LEVEL_FIELDS, REFERRAL_FIELDS
from patients.models import Allergy, Referral, TargetLevel

from ..assessment import level_recommendations, met_relative_contraindications
from ..models import ReviewDecision

register = template.Library()

UNKNOWN = "Unknown"


@register.simple_tag
def recommendation_badge(recommendation: str):
    """A coloured badge for a recommendation, its label in words."""
    if not recommendation:
        return ""
    try:
        label = Recommendation(recommendation).label
    except ValueError:
        label = recommendation
    return format_html(
        '<span class="badge badge-rec-{}" data-recommendation="{}">{}</span>',
        recommendation,
        recommendation,
        label,
    )


@register.filter
def result_levels(result: dict | None) -> list[tuple[str, str]]:
    """(level, recommendation) pairs of an engine result."""
    return list(level_recommendations(result or {}).items())


@register.filter
def relative_contraindications(result: dict | None) -> str:
    """The met relative contraindications in short: "L1 retropulsion > 20%; L2 …"."""
    return "; ".join(
        f"{level} {name}" for level, name in met_relative_contraindications(result or {})
    )


def _display(model, instance, name: str) -> str:
    value = getattr(instance, name)
    field = model._meta.get_field(name)
    if name == "allergies":
        if value is None:
            return UNKNOWN
        labels = dict(Allergy.choices)
        return ", ".join(str(labels.get(item, item)) for item in value) or "None known"
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    return str(value)


@register.simple_tag
def referral_answers(referral: Referral) -> list[tuple[str, str]]:
    """(question, answer in words) for the referral-level answers; unknown said as such."""
    return [
        (
            capfirst(Referral._meta.get_field(name).verbose_name),
            _display(Referral, referral, name),
        )
        for name in REFERRAL_FIELDS
    ]


@register.simple_tag
def level_answer_headers() -> list[str]:
    return [capfirst(TargetLevel._meta.get_field(name).verbose_name) for name in LEVEL_FIELDS]


@register.simple_tag
def level_answers(level: TargetLevel) -> list[str]:
    return [_display(TargetLevel, level, name) for name in LEVEL_FIELDS]


@register.simple_tag
def referral_decisions_for(referral: Referral) -> list[ReviewDecision]:
    """The referral's decisions as the referrer may see them, newest first (one query)."""
    return list(
        ReviewDecision.objects.filter(referral=referral)
        .select_related("reason_code", "decided_by", "countersignature")
        .order_by("-decided_at", "-id")
    )


RECENT_DECISIONS = 5


@register.simple_tag
def recent_decisions_for(user) -> list[ReviewDecision]:
    """The latest decisions in effect on the physician's referrals (one query)."""
    return list(
        ReviewDecision.objects.current()
        .filter(referral__physician=user)
        .filter(Q(requires_countersignature=False) | Q(countersignature__isnull=False))
        .select_related("referral__patient", "reason_code", "decided_by")
        .order_by("-decided_at", "-id")[:RECENT_DECISIONS]
    )
