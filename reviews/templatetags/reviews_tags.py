"""Template helpers of the review app: badges, answers in words, decisions for the referrer."""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from eligibility.engine import RULES_BY_ID
from eligibility.i18n import rule_text
from patients.models import Referral
from patients.vocabulary import recommendation_label

from .. import selectors
from ..assessment import level_recommendations, met_relative_contraindications
from ..forms import InformationReplyForm
from ..models import ReviewDecision
from ..reasons import reason_text as _reason_text
from ..selectors import information_thread, open_information_request

register = template.Library()


@register.simple_tag
def recommendation_badge(recommendation: str):
    """A coloured badge for a recommendation, its label in words."""
    if not recommendation:
        return ""
    return format_html(
        '<span class="badge badge-rec-{}" data-recommendation="{}">{}</span>',
        recommendation,
        recommendation,
        recommendation_label(recommendation),
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


# The worklist's filter fields, unbound, by (language, prefix, auto_id): the same HTML on every
# unfiltered page load, so rendered once per process instead of on every request.
_UNBOUND_FILTER_FIELDS: dict[tuple, SafeString] = {}


@register.simple_tag
def worklist_filter_fields(form) -> SafeString:
    """The worklist filter form's fields (crispy, bootstrap 5).

    A bound form (errors, values) is rendered each time; an unbound one without initial
    values is the same every time and rendered once (each time in DEBUG, for template work).
    """
    if form.is_bound or form.initial or settings.DEBUG:
        return _render_filter_fields(form)
    key = (translation.get_language(), form.prefix, form.auto_id)
    html = _UNBOUND_FILTER_FIELDS.get(key)
    if html is None:
        html = _UNBOUND_FILTER_FIELDS[key] = _render_filter_fields(form)
    return html


def _render_filter_fields(form) -> SafeString:
    html = render_to_string("reviews/_worklist_filters.html", {"form": form})
    return mark_safe(html.strip())  # noqa: S308 - a rendered (escaped) template


@register.simple_tag
def referral_decisions_for(referral: Referral) -> list[ReviewDecision]:
    """The referral's decisions as the referrer may see them, newest first (one query)."""
    return list(
        ReviewDecision.objects.filter(referral=referral)
        .select_related("reason_code", "decided_by", "countersignature")
        .order_by("-decided_at", "-id")
    )


RECENT_DECISIONS = selectors.RECENT_DECISIONS


@register.simple_tag
def recent_decisions_for(user) -> list[ReviewDecision]:
    """The latest decisions in effect on the physician's referrals (one query)."""
    return list(selectors.recent_decisions_in_effect(user))


@register.filter
def reason_text(label: str) -> str:
    """A decision's coded reason in the reader's language (a seeded reason), else as written."""
    return _reason_text(label)


@register.filter
def rule_wording(rule_id: str) -> str:
    """A rule id in the seed's words, in the reader's language ("CI-INFECTION" -> "Local or
    systemic infection"); the id only for a rule no longer in the engine."""
    return rule_text(rule_id) if rule_id in RULES_BY_ID else rule_id


@register.simple_tag
def information_request_for(referral: Referral | None) -> dict:
    """The referral's information requests and answers for the physician's pages, and the
    answer form while a request waits and the referral may be edited."""
    if referral is None or referral.pk is None:
        return {"thread": [], "open_request": None, "form": None}
    thread = information_thread(referral)
    open_request = open_information_request(thread)
    form = (
        InformationReplyForm()
        if open_request is not None and referral.is_editable_by_physician
        else None
    )
    return {"thread": thread, "open_request": open_request, "form": form}
