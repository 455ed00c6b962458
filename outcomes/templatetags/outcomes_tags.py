"""Template filters and tags of the outcomes pages: scores, and the SVG charts."""

from django import template
from django.utils.safestring import SafeString

from ..charts import cohort_chart_svg, pain_chart_svg

register = template.Library()


@register.filter
def score(value) -> str:
    """A score without trailing zeros, to two decimals at most: 5 → "5", 5.5 → "5.5"."""
    if value is None or value == "":
        return "—"
    return f"{round(float(value), 2):g}"


@register.simple_tag
def pain_chart(points, chart_id: str = "pain-chart") -> SafeString:
    """A patient's pain-over-time chart as inline SVG, from `pain_points`
    (templates/outcomes/charts/pain.svg)."""
    return pain_chart_svg(points, chart_id=chart_id)


@register.simple_tag
def cohort_chart(points) -> SafeString:
    """The cohort's median pain and quartiles by slot as inline SVG
    (templates/outcomes/charts/cohort.svg)."""
    return cohort_chart_svg(points)
