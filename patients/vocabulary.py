"""How VPSelect names a referral's answers and states, and how an answer reads, in one place.

The field lists, each answer's label (with its unit), the wording of an answer (`answer_text`)
and the labels of recommendations, referral statuses and findings. The physician's referral
page, the review page, the printed summary, the admin and the change histories all read
these, so one answer is worded the same wherever it is shown. The intake form asks the
questions in its own words (`patients.questions`); the engine names inputs in its sentences
(`eligibility.engine.facts.INPUT_LABELS`).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from eligibility.engine.facts import CASE_FIELDS
from eligibility.engine.facts import LEVEL_FIELDS as CASE_LEVEL_FIELDS
from eligibility.models import Recommendation

from .models import Allergy, Etiology, RadicularCause, Referral, Sex
from .questions import TUMOUR_ONLY_QUESTIONS

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# The answers stored on a referral and on each of its levels: the case format's own
# vocabulary (case.schema.json, as the engine states it), in the intake form's order.
REFERRAL_FIELDS: tuple[str, ...] = tuple(
    name for name in CASE_FIELDS if name not in {"assessed_on", "patient", "levels"}
)
LEVEL_FIELDS: tuple[str, ...] = CASE_LEVEL_FIELDS
# A level's answers, its label ("L2") left out: what a level's table shows under its name.
LEVEL_ANSWER_FIELDS: tuple[str, ...] = tuple(name for name in LEVEL_FIELDS if name != "level")

UNKNOWN = _("Unknown")
NOT_APPLICABLE = _("Not applicable")
NONE_KNOWN = _("None known")
YES = _("Yes")
NO = _("No")
NO_VALUE = "—"

# Each answer and recorded field as a heading names it; a unit stands here, once, in brackets.
LABELS: "dict[str, _StrPromise]" = {
    "assessed_on": _("Assessment date"),
    "pain_controlled_by_medical_therapy": _("Pain controlled by medical therapy"),
    "coagulopathy": _("Coagulopathy or anticoagulant / antiplatelet drug"),
    "coagulopathy_corrected": _("Coagulopathy corrected for the procedure"),
    "inr": _("INR"),
    "platelets": _("Platelet count (×10⁹/L)"),
    "systemic_infection": _("Systemic infection"),
    "local_infection": _("Infection at the access site"),
    "allergies": _("Allergy to a required component"),
    "radicular_pain": _("Radicular pain"),
    "radicular_cause": _("Cause of the radicular pain"),
    "level": _("Level"),
    "etiology": _("Etiology"),
    "pain_nrs": _("Pain (NRS 0–10)"),
    "fracture": _("Fracture or collapse"),
    "fracture_date": _("Fracture date"),
    "imaging_acute": _("Acute fracture on imaging"),
    "high_fracture_risk": _("High fracture risk (tumour)"),
    "osteomyelitis": _("Osteomyelitis"),
    "canal_compromise_pct": _("Spinal canal compromise (%)"),
    "epidural_extension": _("Epidural extension (tumour)"),
    # The patient, and the referral's own record.
    "sex": _("Sex"),
    "date_of_birth": _("Date of birth"),
    "patient": _("Patient"),
    "physician": _("Referring physician"),
    "status": _("Status"),
    "version": _("Version"),
    "assigned_radiologist": _("Assigned radiologist"),
    "latest_evaluation": _("Latest evaluation"),
    "recommendation": _("Recommendation"),
    "flagged": _("Flagged for review"),
    "created_at": _("Created"),
    "submitted_at": _("Submitted"),
    "position": _("Position"),
}

# Finding states and rule kinds of an engine result.
FINDING_STATUS_LABELS: "dict[str, _StrPromise]" = {
    "met": _("Met"),
    "not_met": _("Not met"),
    "unknown": UNKNOWN,
}
RULE_KIND_LABELS: "dict[str, _StrPromise]" = {
    "indication": _("Indication"),
    "absolute": _("Absolute contraindication"),
    "relative": _("Relative contraindication"),
}

_CHOICE_LABELS: dict[str, Mapping[str, object]] = {
    "etiology": dict(Etiology.choices),
    "radicular_cause": dict(RadicularCause.choices),
    "allergies": dict(Allergy.choices),
    "sex": dict(Sex.choices),
    "status": dict(Referral.Status.choices),
    "recommendation": dict(Recommendation.choices),
}
# An INR is written with its decimal (1.0, not 1), as in the clinic and the engine's reasons.
_ALWAYS_DECIMAL = frozenset({"inr"})
# Follow-up questions, asked only when the question they follow is answered "yes".
_FOLLOWS = {"coagulopathy_corrected": "coagulopathy", "radicular_cause": "radicular_pain"}


def label(name: str) -> str:
    """The heading of an answer or recorded field: "Spinal canal compromise (%)"."""
    known = LABELS.get(name)
    return str(known) if known is not None else capfirst(name.replace("_", " "))


def recommendation_label(value: str) -> str:
    """'not_eligible' → 'Not eligible'; an empty value (not evaluated) → '—'."""
    return str(_CHOICE_LABELS["recommendation"].get(value, value or NO_VALUE))


def status_label(value: str) -> str:
    """A referral status in words: 'under_review' → 'Under review'."""
    return str(_CHOICE_LABELS["status"].get(value, value or NO_VALUE))


def finding_status_label(value: str) -> str:
    """'not_met' → 'Not met'."""
    return str(FINDING_STATUS_LABELS.get(value, value))


def rule_kind_label(value: str) -> str:
    """'absolute' → 'Absolute contraindication'."""
    return str(RULE_KIND_LABELS.get(value, value))


def _number_text(name: str, value: int | float | Decimal) -> str:
    number = Decimal(str(value))
    if name in _ALWAYS_DECIMAL and number == number.to_integral_value():
        number = number.quantize(Decimal("0.1"))
    elif number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    else:
        number = number.normalize()
    # As entered (1.1 not 1.10, 210 not 210.0), in the reader's decimal separator.
    return formats.number_format(number)


def answer_text(name: str, value: object) -> str:
    """An answer as every page words it: Yes / No / Unknown, choices by their labels, numbers
    as entered (their unit is in the label), dates in the reader's format.

    `value` is as stored on a model or as written in a case (dates as ISO text)."""
    if value is None or value == "":
        return str(UNKNOWN)
    if isinstance(value, bool):
        return str(YES if value else NO)
    if name == "allergies" and isinstance(value, list | tuple):
        labels = _CHOICE_LABELS["allergies"]
        return ", ".join(str(labels.get(item, item)) for item in value) or str(NONE_KNOWN)
    if name in _CHOICE_LABELS:
        return str(_CHOICE_LABELS[name].get(str(value), value))
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, str) and name.endswith(("_on", "_date", "date_of_birth")):
        try:
            return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, int | float | Decimal):
        return _number_text(name, value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as a page shows it: its heading, its wording, and whether it is unknown."""

    name: str
    label: str
    value: str
    is_unknown: bool


def _not_asked(name: str, get: Callable[[str], object]) -> bool:
    """The question was not asked: it follows a "no", or its level's etiology skips it."""
    if name in _FOLLOWS:
        return get(_FOLLOWS[name]) is False
    if name in TUMOUR_ONLY_QUESTIONS:
        etiology = get("etiology")
        return bool(etiology) and etiology not in TUMOUR_ONLY_QUESTIONS[name]
    return False


def answers(source: object, names: Iterable[str]) -> tuple[Answer, ...]:
    """The named answers of a referral, a level, or their case dicts, worded for a page.

    A follow-up question that was not asked (its lead answered "no", or the level's
    etiology skips it) reads "Not applicable" when unanswered, not "Unknown"."""

    def get(name: str) -> object:
        if isinstance(source, Mapping):
            return source.get(name)
        return getattr(source, name, None)

    shown = []
    for name in names:
        value = get(name)
        unknown = value is None or value == ""
        if unknown and _not_asked(name, get):
            shown.append(Answer(name, label(name), str(NOT_APPLICABLE), is_unknown=False))
            continue
        shown.append(Answer(name, label(name), answer_text(name, value), is_unknown=unknown))
    return tuple(shown)


def referral_answers(source: object) -> tuple[Answer, ...]:
    """A referral's own answers (a Referral or a case dict), in the intake form's order."""
    return answers(source, REFERRAL_FIELDS)


def level_answers(source: object) -> tuple[Answer, ...]:
    """A level's answers (a TargetLevel or a case's level dict), its label left out."""
    return answers(source, LEVEL_ANSWER_FIELDS)


def case_path_label(path: str, level_names: Sequence[str] = ()) -> str:
    """A case path as a heading: `levels[0].pain_nrs` → "L2: Pain (NRS 0–10)",
    `patient.sex` → "Sex"; `level_names` are the case's level labels, in order."""
    if path.startswith("levels[") and "]." in path:
        index_text, _, name = path.removeprefix("levels[").partition("].")
        if index_text.isdigit() and int(index_text) < len(level_names):
            return f"{level_names[int(index_text)]}: {label(name)}"
        return label(name)
    return label(path.removeprefix("patient."))
