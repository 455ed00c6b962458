"""FHIR resources back into the engine's case, as far as they go; the rest stays unknown.

Reads what `fhir_export` writes and what an EHR typically holds: the Patient's sex and birth
date, spinal levels from a vertebroplasty ServiceRequest's body sites, Observations coded
with LOINC (pain NRS per level, INR, platelets) or with VPSelect's answer codes, and
Conditions naming a level's etiology. Nothing is guessed: a pain score or an etiology without
a spinal level, a value in an unknown unit or a conflict leaves the answer unknown.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest

from patients.models import LEVEL_LABELS

from . import codes
from .codes import Answer

_LEVEL_SET = frozenset(LEVEL_LABELS)
_LEVEL_TEXT = re.compile(
    r"^\s*(?:vertebra\s+)?(C[1-7]|T1[0-2]|T[1-9]|L[1-5]|S[1-5])(?:\s+vertebra(?:l body)?)?\s*$",
    re.IGNORECASE,
)
_SKIPPED_OBSERVATION_STATUSES = frozenset({"registered", "cancelled", "entered-in-error"})
_SKIPPED_CONDITION_VERIFICATION = frozenset({"refuted", "entered-in-error"})
_SEXES = frozenset({"female", "male", "other"})


def _codings(concept: CodeableConcept | None) -> list:
    return list(concept.coding or []) if concept is not None else []


def level_of(concept: CodeableConcept | None) -> str | None:
    """The spinal level a body site names (VPSelect or SNOMED CT code, or text like "L2")."""
    if concept is None:
        return None
    for coding in _codings(concept):
        if coding.system == codes.LEVEL_SYSTEM and coding.code in _LEVEL_SET:
            return coding.code
        if coding.system == codes.SNOMED and coding.code in codes.SNOMED_LEVEL:
            return codes.SNOMED_LEVEL[coding.code]
    texts = [concept.text, *(coding.display for coding in _codings(concept))]
    for text in texts:
        match = _LEVEL_TEXT.match(text or "")
        if match:
            return match.group(1).upper()
    return None


def is_vertebroplasty(order: ServiceRequest) -> bool:
    """True when the order's code is percutaneous vertebroplasty (SNOMED CT, CPT or text)."""
    concept = order.code
    for coding in _codings(concept):
        if (coding.system, coding.code) in codes.VERTEBROPLASTY_CODES:
            return True
    texts = [concept.text if concept else None, *(c.display for c in _codings(concept))]
    return any("vertebroplasty" in (text or "").lower() for text in texts)


def order_levels(order: ServiceRequest) -> list[str]:
    """The spinal levels an order's body sites name, once each, in order."""
    found: list[str] = []
    for concept in order.bodySite or []:
        level = level_of(concept)
        if level is not None and level not in found:
            found.append(level)
    return found


def _iso_date(value) -> str | None:
    """A full calendar date from a FHIR date or dateTime; partial dates are not dates."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def _observed_on(observation: Observation) -> date | None:
    for value in (
        observation.effectiveDateTime,
        observation.effectiveInstant,
        observation.effectivePeriod.end if observation.effectivePeriod else None,
        observation.effectivePeriod.start if observation.effectivePeriod else None,
        observation.issued,
    ):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
    return None


def _plain_number(value: Decimal | int | float) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _quantity(answer: Answer, observation: Observation):
    quantity = observation.valueQuantity
    if quantity is None or quantity.value is None:
        return None
    unit = quantity.code or quantity.unit or ""
    value = Decimal(str(quantity.value))
    if answer.key == "platelets":
        if unit in codes.PLATELET_UNITS_SINGLE:
            value = value / 1000
        elif unit not in codes.PLATELET_UNITS_THOUSANDS:
            return None
    elif answer.key == "canal_compromise_pct" and unit not in ("%", ""):
        return None
    return _plain_number(value)


def _answer_value(answer: Answer, observation: Observation):
    """The observation's value in the case's form, or None when it has none we can read."""
    if answer.kind == "boolean":
        return observation.valueBoolean
    if answer.kind == "integer":
        if observation.valueInteger is not None:
            return observation.valueInteger
        if observation.valueQuantity is not None and observation.valueQuantity.value is not None:
            return _plain_number(observation.valueQuantity.value)
        return None
    if answer.kind == "quantity":
        return _quantity(answer, observation)
    if answer.kind == "date":
        return _iso_date(observation.valueDateTime)
    if answer.kind == "code":
        for coding in _codings(observation.valueCodeableConcept):
            if coding.system == answer.value_system and coding.code in codes.RADICULAR_CAUSE_LABELS:
                return coding.code
        return None
    if answer.kind == "allergies":
        allergens: list[str] = []
        for component in observation.component or []:
            for coding in _codings(component.valueCodeableConcept):
                if (
                    coding.system == codes.ALLERGY_SYSTEM
                    and coding.code in codes.ALLERGY_LABELS
                    and coding.code not in allergens
                ):
                    allergens.append(coding.code)
        if allergens:
            return allergens
        if observation.valueBoolean is False:
            return []
        # Allergic to a required component, but which one was not coded.
        return ["other"] if observation.valueBoolean else None
    return None


def _answer_of(observation: Observation) -> Answer | None:
    for coding in _codings(observation.code):
        answer = codes.ANSWER_BY_CODE.get((coding.system, coding.code))
        if answer is not None:
            return answer
    return None


def _etiology_of(condition: Condition) -> str | None:
    for coding in _codings(condition.code):
        if coding.system == codes.ETIOLOGY_SYSTEM and coding.code in codes.ETIOLOGY_LABELS:
            return coding.code
    for coding in _codings(condition.code):
        if coding.system == codes.SNOMED and coding.code in codes.SNOMED_ETIOLOGY:
            return codes.SNOMED_ETIOLOGY[coding.code]
    return None


@dataclass
class MappedCase:
    """The case mapped from FHIR resources, with what could not be used (paths, no values)."""

    case: dict
    notes: list[str] = field(default_factory=list)


def patient_answers(patient: Patient | None) -> dict:
    """The case's `patient` object from a Patient resource."""
    if patient is None:
        return {}
    answers = {}
    if patient.gender in _SEXES:
        answers["sex"] = patient.gender
    birth_date = _iso_date(patient.birthDate)
    if birth_date is not None:
        answers["date_of_birth"] = birth_date
    return answers


def case_from_resources(
    *,
    levels: list[str],
    patient: Patient | None = None,
    observations: Iterable[Observation] = (),
    conditions: Iterable[Condition] = (),
    today: date | None = None,
) -> MappedCase:
    """Map resources onto a case for the given levels; absent answers stay absent (unknown).

    The latest observation of each answer (per level) wins. With `today` (the EHR's data),
    undated observations and those older than the answer's `max_age_days` are not used.
    """
    notes: list[str] = []
    case: dict = {}
    answers = patient_answers(patient)
    if answers:
        case["patient"] = answers
    level_cases: dict[str, dict[str, object]] = {label: {"level": label} for label in levels}
    # (answer key, level or None) -> (observed on, value); later in input order wins ties.
    latest: dict[tuple[str, str | None], tuple[date, object]] = {}
    for observation in observations:
        if observation.status in _SKIPPED_OBSERVATION_STATUSES:
            continue
        answer = _answer_of(observation)
        if answer is None:
            continue
        level = None
        if answer.per_level:
            level = level_of(observation.bodySite)
            if level is None:
                notes.append(f"An observation of {answer.key} names no spinal level.")
                continue
            if level not in level_cases:
                continue
        observed_on = _observed_on(observation)
        if today is not None:
            if observed_on is None:
                notes.append(f"An observation of {answer.key} has no date.")
                continue
            if (today - observed_on).days > answer.max_age_days:
                continue
        value = _answer_value(answer, observation)
        if value is None:
            notes.append(f"An observation of {answer.key} has no value that can be used.")
            continue
        key = (answer.key, level)
        when = observed_on or date.min
        if key not in latest or when >= latest[key][0]:
            latest[key] = (when, value)
    for (name, level), (_when, value) in latest.items():
        if level is None:
            case[name] = value
        else:
            level_cases[level][name] = value
    etiologies: dict[str, set[str]] = {}
    for condition in conditions:
        verification = _codings(condition.verificationStatus)
        if any(coding.code in _SKIPPED_CONDITION_VERIFICATION for coding in verification):
            continue
        etiology = _etiology_of(condition)
        if etiology is None:
            continue
        sites = [level_of(site) for site in condition.bodySite or []]
        if not any(sites):
            notes.append(f"A condition ({etiology}) names no spinal level.")
        for level in sites:
            if level in level_cases:
                etiologies.setdefault(level, set()).add(etiology)
    for level, found in etiologies.items():
        if len(found) == 1:
            level_cases[level]["etiology"] = next(iter(found))
        else:
            notes.append(f"Conflicting etiologies for {level}.")
    case["levels"] = [level_cases[label] for label in levels]
    return MappedCase(case=case, notes=notes)


def bundle_case(bundle: Bundle) -> MappedCase:
    """The case of an exported referral Bundle (levels from its vertebroplasty order)."""
    resources = [entry.resource for entry in bundle.entry or [] if entry.resource is not None]
    orders = [r for r in resources if isinstance(r, ServiceRequest) and is_vertebroplasty(r)]
    patients = [r for r in resources if isinstance(r, Patient)]
    return case_from_resources(
        levels=order_levels(orders[0]) if orders else [],
        patient=patients[0] if patients else None,
        observations=[r for r in resources if isinstance(r, Observation)],
        conditions=[r for r in resources if isinstance(r, Condition)],
    )
