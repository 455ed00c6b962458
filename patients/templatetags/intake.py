"""Template filters of the intake form."""

from django import template

from patients.questions import level_questions, referral_questions

register = template.Library()


@register.filter
def field_note(bound_field):
    """The note of a question (how its answer was read, advice), or None."""
    return getattr(bound_field.form, "notes", {}).get(bound_field.name)


@register.filter
def criteria_fed(bound_field) -> tuple[tuple[str, str, str], ...]:
    """The seed's criteria an intake answer feeds: (rule id, wording, kind)."""
    name = "allergies" if bound_field.name == "allergy_status" else bound_field.name
    per_level = getattr(bound_field.form, "per_level", False)
    question = (level_questions() if per_level else referral_questions()).get(name)
    return question.feeds if question is not None else ()
