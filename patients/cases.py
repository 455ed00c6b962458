"""The one mapping between a referral's stored answers and the engine's case format."""

from datetime import date
from decimal import Decimal

from .models import Referral, TargetLevel
from .vocabulary import LEVEL_FIELDS, REFERRAL_FIELDS

_CHOICE_FIELDS = frozenset({"radicular_cause", "etiology"})
# An INR is written with its decimal (1.0, not 1) in the clinic and in the engine's reasons.
_ALWAYS_DECIMAL_FIELDS = frozenset({"inr"})


def _to_case_value(name: str, value):
    if name in _CHOICE_FIELDS:
        return value or None
    if isinstance(value, Decimal):
        if name in _ALWAYS_DECIMAL_FIELDS or value != value.to_integral_value():
            return float(value)
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def _to_model_value(name: str, value):
    if name in _CHOICE_FIELDS:
        return value or ""
    if value is None:
        return None
    if name in {"inr", "platelets", "canal_compromise_pct"}:
        return Decimal(str(value))
    if name == "fracture_date":
        return date.fromisoformat(value)
    return value


def level_case(target_level: TargetLevel) -> dict:
    return {name: _to_case_value(name, getattr(target_level, name)) for name in LEVEL_FIELDS}


def referral_case(
    referral: Referral, *, levels: list[TargetLevel] | None = None, assessed_on: date | None = None
) -> dict:
    """Build the engine's case from a referral, its patient and its target levels.

    `assessed_on` is used when the referral has none stored (the submission date).
    """
    patient = referral.patient
    case: dict = {}
    reference = referral.assessed_on or assessed_on
    if reference is not None:
        case["assessed_on"] = reference.isoformat()
    case["patient"] = {
        "sex": patient.sex or None,
        "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
    }
    for name in REFERRAL_FIELDS:
        case[name] = _to_case_value(name, getattr(referral, name))
    if levels is None:
        levels = list(referral.levels.all())
    case["levels"] = [level_case(level) for level in levels]
    return case


def case_referral_answers(case: dict) -> tuple[dict, list[dict]]:
    """The inverse of `referral_case` for the answers: (referral fields, level field dicts)."""
    referral_answers = {name: _to_model_value(name, case.get(name)) for name in REFERRAL_FIELDS}
    if case.get("assessed_on"):
        referral_answers["assessed_on"] = date.fromisoformat(case["assessed_on"])
    level_answers = [
        {name: _to_model_value(name, level.get(name)) for name in LEVEL_FIELDS}
        for level in case.get("levels", [])
    ]
    return referral_answers, level_answers
