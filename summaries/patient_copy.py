"""The patient copy of the summary: the outcome in plain words, in the patient's language.

Its sentences are written here and translated from this app's catalog
(summaries/locale); the page is summaries/templates/summaries/_patient_copy.html.
"""

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reviews.reasons import reason_text


@dataclass(frozen=True)
class PatientCopy:
    """The patient's page: the outcome in plain words and what happens next."""

    heading: str
    outcome: str
    reason: str
    next_steps: tuple[str, ...]
    # The language it is written in (an entry of LANGUAGES): the page's `lang`.
    language: str = "en"


def summary_title(referral_id: int) -> str:
    """The summary's document title (the PDF's title), in the active language."""
    return _("Referral summary #%(id)s") % {"id": referral_id}


def patient_copy(decision, physician_name: str, *, language: str) -> PatientCopy:
    """The outcome in plain words, in `language`: no rule ids, no internal comments.

    `decision` is the summary's DecisionSummary, or None before a decision.
    """
    with translation.override(language):
        copy = _patient_copy(decision, physician_name)
    return PatientCopy(*copy, language=language)


def _patient_copy(decision, physician_name: str) -> tuple[str, str, str, tuple[str, ...]]:
    if physician_name:
        doctor = _("your referring doctor, %(name)s,") % {"name": physician_name}
        doctor_subject = _("Your referring doctor, %(name)s,") % {"name": physician_name}
    else:
        doctor, doctor_subject = _("your doctor"), _("Your doctor")
    if decision is None:
        return (
            _("Your referral is waiting for review"),
            _(
                "Your referral for vertebroplasty has been received. A specialist "
                "(an interventional radiologist) will review it."
            ),
            "",
            (
                _("You do not need to do anything now."),
                _("The clinic or %(doctor)s will tell you the decision.") % {"doctor": doctor},
            ),
        )
    if decision.outcome == "accept" and decision.pending_countersignature:
        return (
            _("Your treatment is waiting for a second specialist's confirmation"),
            _(
                "A specialist has proposed vertebroplasty for you. Before it is final, a "
                "second specialist must confirm it."
            ),
            "",
            (_("The clinic will contact you when the decision is confirmed."),),
        )
    if decision.outcome == "accept":
        levels = decision.levels_to_treat
        if levels:
            outcome = ngettext(
                "The specialist has accepted you for vertebroplasty of the vertebra %(levels)s.",
                "The specialist has accepted you for vertebroplasty of the vertebrae %(levels)s.",
                len(levels),
            ) % {"levels": ", ".join(levels)}
        else:
            outcome = _("The specialist has accepted you for vertebroplasty.")
        return (
            _("You have been accepted for vertebroplasty"),
            outcome,
            "",
            (
                _("The clinic will contact you to arrange the date of the procedure."),
                _("Bring this sheet with you on the day of the procedure."),
                _("If you have questions, ask %(doctor)s or the clinic.") % {"doctor": doctor},
            ),
        )
    if decision.outcome == "decline":
        return (
            _("Vertebroplasty is not the right treatment for you at this time"),
            _(
                "After reviewing your referral, the specialist decided not to treat you "
                "with vertebroplasty at this time."
            ),
            reason_text(decision.reason),
            (_("%(doctor)s will discuss other treatment with you.") % {"doctor": doctor_subject},),
        )
    return (
        _("The specialist needs more information"),
        _("Before deciding, the specialist needs more information from your referring doctor."),
        reason_text(decision.reason),
        (
            _("%(doctor)s will provide it; the referral is then reviewed again.")
            % {"doctor": doctor_subject},
            _("You do not need to do anything unless your doctor asks you to."),
        ),
    )
