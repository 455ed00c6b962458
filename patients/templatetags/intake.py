"""Template filters of the intake form."""

from django import template

register = template.Library()


@register.filter
def field_note(bound_field):
    """The note of a question (how its answer was read, advice), or None."""
    return getattr(bound_field.form, "notes", {}).get(bound_field.name)
