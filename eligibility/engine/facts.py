"""Typed, validated facts of a case: what the rules read. Absent inputs are None."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class LevelFacts:
    """One target level. `level` is the label (e.g. "L2"); every other field may be None."""

    level: str
    etiology: str | None = None
    pain_nrs: int | None = None
    fracture: bool | None = None
    fracture_date: date | None = None
    imaging_acute: bool | None = None
    high_fracture_risk: bool | None = None
    osteomyelitis: bool | None = None
    canal_compromise_pct: int | float | None = None
    epidural_extension: bool | None = None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """A whole case. `assessed_on` is never None: it defaults to the day of the evaluation."""

    assessed_on: date
    levels: tuple[LevelFacts, ...]
    sex: str | None = None
    date_of_birth: date | None = None
    pain_controlled_by_medical_therapy: bool | None = None
    coagulopathy: bool | None = None
    coagulopathy_corrected: bool | None = None
    inr: int | float | None = None
    platelets: int | float | None = None
    systemic_infection: bool | None = None
    local_infection: bool | None = None
    allergies: tuple[str, ...] | None = None
    radicular_pain: bool | None = None
    radicular_cause: str | None = None


# The case format's vocabulary (case.schema.json), in the schema's property order.
CASE_FIELDS: tuple[str, ...] = (
    "assessed_on",
    "patient",
    "pain_controlled_by_medical_therapy",
    "coagulopathy",
    "coagulopathy_corrected",
    "inr",
    "platelets",
    "systemic_infection",
    "local_infection",
    "allergies",
    "radicular_pain",
    "radicular_cause",
    "levels",
)
PATIENT_FIELDS: tuple[str, ...] = ("sex", "date_of_birth")
LEVEL_FIELDS: tuple[str, ...] = (
    "level",
    "etiology",
    "pain_nrs",
    "fracture",
    "fracture_date",
    "imaging_acute",
    "high_fracture_risk",
    "osteomyelitis",
    "canal_compromise_pct",
    "epidural_extension",
)
SEXES: tuple[str, ...] = ("female", "male", "other")
ETIOLOGIES: tuple[str, ...] = (
    "osteoporosis",
    "metastasis",
    "myeloma",
    "hemangioma",
    "traumatic",
    "other",
)
ALLERGENS: tuple[str, ...] = ("cement", "contrast", "anesthetic", "other")
RADICULAR_CAUSES: tuple[str, ...] = ("vertebral_collapse", "unrelated_compression")
LEVEL_LABELS: tuple[str, ...] = (
    *(f"C{n}" for n in range(1, 8)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    *(f"S{n}" for n in range(1, 6)),
)

# How an input is named in a sentence ("Pain NRS is not recorded.").
INPUT_LABELS: dict[str, str] = {
    "assessed_on": "assessment date",
    "patient.sex": "sex",
    "patient.date_of_birth": "date of birth",
    "pain_controlled_by_medical_therapy": "response to medical therapy",
    "coagulopathy": "coagulopathy",
    "coagulopathy_corrected": "whether the coagulopathy is corrected",
    "inr": "INR",
    "platelets": "platelet count",
    "systemic_infection": "systemic infection",
    "local_infection": "local infection",
    "allergies": "allergy status",
    "radicular_pain": "radicular pain",
    "radicular_cause": "cause of the radicular pain",
    "levels[].level": "level",
    "levels[].etiology": "etiology",
    "levels[].pain_nrs": "pain NRS",
    "levels[].fracture": "fracture status",
    "levels[].fracture_date": "fracture date",
    "levels[].imaging_acute": "imaging of fracture acuteness",
    "levels[].high_fracture_risk": "fracture risk",
    "levels[].osteomyelitis": "osteomyelitis",
    "levels[].canal_compromise_pct": "canal compromise",
    "levels[].epidural_extension": "epidural extension",
}
