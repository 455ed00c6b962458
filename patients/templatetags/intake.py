"""Template filters of the intake form."""

from django import template

from patients.selectors import evaluation_assessed_on

register = template.Library()


@register.filter
def field_note(bound_field):
    """The note of a question (how its answer was read, advice), or None."""
    return getattr(bound_field.form, "notes", {}).get(bound_field.name)


@register.filter
def assessed_on(evaluation):
    """The date a stored evaluation judged its case on (a date, for the `date` filter)."""
    return evaluation_assessed_on(evaluation)
