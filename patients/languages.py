"""The languages patients are written to in: the clinic's by default, the patient's own when set.

A patient's letters, messages and pages (the patient copy of the summary, questionnaire
invitations and reminders, the questionnaire pages) use `Patient.preferred_language`, whatever
language the staff who print or send them use.
"""

from django.conf import settings
from django.core.checks import Error, register


def clinic_language() -> str:
    """The clinic's language (VPSELECT_CLINIC_LANGUAGE): a new patient's preferred language."""
    return settings.VPSELECT_CLINIC_LANGUAGE


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


@register()
def check_clinic_language(app_configs=None, **kwargs) -> list[Error]:
    """System check: the clinic's language must be one of LANGUAGES."""
    codes = [code for code, _name in settings.LANGUAGES]
    if settings.VPSELECT_CLINIC_LANGUAGE not in codes:
        return [
            Error(
                f"VPSELECT_CLINIC_LANGUAGE is {settings.VPSELECT_CLINIC_LANGUAGE!r}; it must be "
                f"one of LANGUAGES: {', '.join(codes)}.",
                id="patients.E001",
            )
        ]
    return []
