"""Template filters of the outcomes pages."""

from django import template

register = template.Library()


@register.filter
def score(value) -> str:
    """A score without trailing zeros, to two decimals at most: 5 → "5", 5.5 → "5.5"."""
    if value is None or value == "":
        return "—"
    return f"{round(float(value), 2):g}"
