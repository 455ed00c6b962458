"""Template helpers of the review app: badges, recommendations and reasons in words (no queries:
the views and the receivers hand the data over)."""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString

from eligibility.engine import RULES_BY_ID
from eligibility.i18n import rule_text
from patients.vocabulary import recommendation_label

from ..assessment import level_recommendations, met_relative_contraindications
from ..reasons import reason_text as _reason_text

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
    return render_to_string("reviews/_worklist_filters.html", {"form": form})


@register.filter
def reason_text(label: str) -> str:
    """A decision's coded reason in the reader's language (a seeded reason), else as written."""
    return _reason_text(label)


@register.filter
def rule_wording(rule_id: str) -> str:
    """A rule id in the seed's words, in the reader's language ("CI-INFECTION" -> "Local or
    systemic infection"); the id only for a rule no longer in the engine."""
    return rule_text(rule_id) if rule_id in RULES_BY_ID else rule_id
