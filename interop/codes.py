"""The codes VPSelect speaks in FHIR: standard terminologies where a verified code exists,
VPSelect's own code systems (keyed by the case schema's names) for everything else.

Sources of the standard codes:
- SNOMED CT 392010000 "Percutaneous vertebroplasty" (procedure; child of 447766008
  "Vertebral augmentation").
- Vertebra body sites C1–L5: DICOM PS3.16 CID 7603 "Vertebra"; S1–S5: the SNOMED CT sacral
  vertebra structures (AAPM TG-263 nomenclature table).
- LOINC 72514-3 pain severity 0–10 NRS, 6301-6 INR, 777-3 platelets.
- SNOMED CT 64859006 osteoporosis, 109989006 multiple myeloma, 94222008 secondary malignant
  neoplasm of bone. Haemangioma, traumatic and other etiologies carry only VPSelect's code.
- CPT 22510–22512 (percutaneous vertebroplasty), recognised in incoming orders only.
"""

from dataclasses import dataclass

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"

# VPSelect's own systems. `.example` is a reserved domain: these name VPSelect's concepts and
# are not meant to resolve.
VPSELECT_BASE = "https://vpselect.example/fhir"
ANSWER_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/case-answer"
ETIOLOGY_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/etiology"
ALLERGY_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/allergy"
RADICULAR_CAUSE_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/radicular-cause"
LEVEL_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/spinal-level"
PROCEDURE_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/procedure"
OVERRIDE_REASON_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/override-reason"
CARD_TOPIC_SYSTEM = f"{VPSELECT_BASE}/CodeSystem/card-topic"
REFERRAL_ID_SYSTEM = f"{VPSELECT_BASE}/NamingSystem/referral"
EVALUATION_ID_SYSTEM = f"{VPSELECT_BASE}/NamingSystem/evaluation"
USER_ID_SYSTEM = f"{VPSELECT_BASE}/NamingSystem/user"
RULESET_BASE = f"{VPSELECT_BASE}/ruleset"


def mrn_system(clinic_code: str) -> str:
    """The identifier system of one clinic's medical record numbers."""
    return f"{VPSELECT_BASE}/NamingSystem/mrn/{clinic_code}"


@dataclass(frozen=True, slots=True)
class Code:
    system: str
    code: str
    display: str

    def coding(self) -> dict:
        return {"system": self.system, "code": self.code, "display": self.display}


VERTEBROPLASTY = Code(SNOMED, "392010000", "Percutaneous vertebroplasty")
VERTEBROPLASTY_LOCAL = Code(PROCEDURE_SYSTEM, "vertebroplasty", "Percutaneous vertebroplasty")
VERTEBROPLASTY_CODES: frozenset[tuple[str, str]] = frozenset(
    {
        (SNOMED, "392010000"),
        (PROCEDURE_SYSTEM, "vertebroplasty"),
        (CPT, "22510"),
        (CPT, "22511"),
        (CPT, "22512"),
    }
)

PAIN_NRS = Code(LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
INR = Code(LOINC, "6301-6", "INR in Platelet poor plasma by Coagulation assay")
PLATELETS = Code(LOINC, "777-3", "Platelets [#/volume] in Blood by Automated count")

# Spinal level -> SNOMED CT body structure (display, code).
VERTEBRA_SNOMED: dict[str, tuple[str, str]] = {
    "C1": ("14806007", "C1 vertebra"),
    "C2": ("39976000", "C2 vertebra"),
    "C3": ("113205007", "C3 vertebra"),
    "C4": ("5329002", "C4 vertebra"),
    "C5": ("36978003", "C5 vertebra"),
    "C6": ("36054005", "C6 vertebra"),
    "C7": ("87391001", "C7 vertebra"),
    "T1": ("64864005", "T1 vertebra"),
    "T2": ("53733008", "T2 vertebra"),
    "T3": ("1626008", "T3 vertebra"),
    "T4": ("73071006", "T4 vertebra"),
    "T5": ("56401006", "T5 vertebra"),
    "T6": ("45296009", "T6 vertebra"),
    "T7": ("62487009", "T7 vertebra"),
    "T8": ("11068009", "T8 vertebra"),
    "T9": ("82687006", "T9 vertebra"),
    "T10": ("7610001", "T10 vertebra"),
    "T11": ("12989004", "T11 vertebra"),
    "T12": ("23215003", "T12 vertebra"),
    "L1": ("66794005", "L1 vertebra"),
    "L2": ("14293000", "L2 vertebra"),
    "L3": ("36470004", "L3 vertebra"),
    "L4": ("11994002", "L4 vertebra"),
    "L5": ("49668003", "L5 vertebra"),
    "S1": ("65985001", "Structure of first sacral vertebra"),
    "S2": ("11808007", "Structure of second sacral vertebra"),
    "S3": ("49967005", "Structure of third sacral vertebra"),
    "S4": ("69950008", "Structure of fourth sacral vertebra"),
    "S5": ("21452006", "Structure of fifth sacral vertebra"),
}
# Incoming orders may name the vertebral body rather than the vertebra (TG-263 codes).
VERTEBRAL_BODY_SNOMED: dict[str, str] = {
    "91116008": "C3",
    "14705001": "C4",
    "67479001": "C5",
    "88298007": "C6",
    "16126006": "C7",
    "56094003": "T1",
    "50060007": "T2",
    "73138009": "T3",
    "86197001": "T4",
    "6105006": "T5",
    "32430008": "T6",
    "71737002": "T7",
    "77435000": "T8",
    "33766003": "T9",
    "48405002": "T10",
    "52120002": "T11",
    "280849005": "T12",
    "61032001": "L1",
    "53983007": "L2",
    "55492004": "L3",
    "71996003": "L4",
    "21799000": "L5",
}
SNOMED_LEVEL: dict[str, str] = {
    **{code: level for level, (code, _display) in VERTEBRA_SNOMED.items()},
    **VERTEBRAL_BODY_SNOMED,
}

ETIOLOGY_LABELS: dict[str, str] = {
    "osteoporosis": "Osteoporosis",
    "metastasis": "Metastasis (secondary malignant neoplasm of bone)",
    "myeloma": "Multiple myeloma",
    "hemangioma": "Vertebral haemangioma",
    "traumatic": "Traumatic fracture of a non-osteoporotic vertebra",
    "other": "Other etiology",
}
ETIOLOGY_SNOMED: dict[str, Code] = {
    "osteoporosis": Code(SNOMED, "64859006", "Osteoporosis"),
    "metastasis": Code(SNOMED, "94222008", "Secondary malignant neoplasm of bone"),
    "myeloma": Code(SNOMED, "109989006", "Multiple myeloma"),
}
SNOMED_ETIOLOGY: dict[str, str] = {code.code: name for name, code in ETIOLOGY_SNOMED.items()}

ALLERGY_LABELS: dict[str, str] = {
    "cement": "Bone cement (PMMA)",
    "contrast": "Contrast medium",
    "anesthetic": "Local anaesthetic",
    "other": "Other required component",
}
RADICULAR_CAUSE_LABELS: dict[str, str] = {
    "vertebral_collapse": "Caused by the vertebral body collapse",
    "unrelated_compression": "Compression unrelated to the vertebral body collapse",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """How one answer of the case travels as an Observation."""

    key: str
    per_level: bool
    kind: str  # boolean | integer | quantity | date | code | allergies
    code: Code
    category: str  # observation-category code
    unit: str = ""  # UCUM code for quantities
    value_system: str = ""  # for coded answers
    # An EHR observation older than this is not used (the answer stays unknown).
    max_age_days: int = 90


def _local(key: str, display: str) -> Code:
    return Code(ANSWER_SYSTEM, key, display)


# Every answer of the case except the patient's sex and birth date (the Patient resource),
# the levels themselves (the ServiceRequest's body sites) and the etiology (a Condition).
ANSWERS: tuple[Answer, ...] = (
    Answer(
        "pain_controlled_by_medical_therapy",
        False,
        "boolean",
        _local("pain_controlled_by_medical_therapy", "Pain controlled by medical therapy"),
        "exam",
    ),
    Answer(
        "coagulopathy",
        False,
        "boolean",
        _local("coagulopathy", "Bleeding disorder or anticoagulant/antiplatelet therapy"),
        "exam",
    ),
    Answer(
        "coagulopathy_corrected",
        False,
        "boolean",
        _local("coagulopathy_corrected", "Coagulopathy corrected"),
        "exam",
    ),
    Answer("inr", False, "quantity", INR, "laboratory", unit="{INR}", max_age_days=30),
    Answer(
        "platelets", False, "quantity", PLATELETS, "laboratory", unit="10*3/uL", max_age_days=30
    ),
    Answer(
        "systemic_infection",
        False,
        "boolean",
        _local("systemic_infection", "Systemic infection"),
        "exam",
    ),
    Answer(
        "local_infection",
        False,
        "boolean",
        _local("local_infection", "Infection at the access site"),
        "exam",
    ),
    Answer(
        "allergies",
        False,
        "allergies",
        _local("allergies", "Allergy to a component required for vertebroplasty"),
        "exam",
        value_system=ALLERGY_SYSTEM,
    ),
    Answer("radicular_pain", False, "boolean", _local("radicular_pain", "Radicular pain"), "exam"),
    Answer(
        "radicular_cause",
        False,
        "code",
        _local("radicular_cause", "Cause of the radicular pain"),
        "exam",
        value_system=RADICULAR_CAUSE_SYSTEM,
    ),
    Answer("pain_nrs", True, "integer", PAIN_NRS, "survey"),
    Answer(
        "fracture",
        True,
        "boolean",
        _local("fracture", "Vertebral body fracture or collapse"),
        "imaging",
    ),
    Answer("fracture_date", True, "date", _local("fracture_date", "Date of the fracture"), "exam"),
    Answer(
        "imaging_acute",
        True,
        "boolean",
        _local("imaging_acute", "Imaging shows an acute (unhealed) fracture"),
        "imaging",
    ),
    Answer(
        "high_fracture_risk",
        True,
        "boolean",
        _local("high_fracture_risk", "Tumour lesion at high risk of fracture"),
        "imaging",
    ),
    Answer(
        "osteomyelitis",
        True,
        "boolean",
        _local("osteomyelitis", "Osteomyelitis of the vertebra"),
        "imaging",
    ),
    Answer(
        "canal_compromise_pct",
        True,
        "quantity",
        _local("canal_compromise_pct", "Spinal canal compromise by a retropulsed fragment"),
        "imaging",
        unit="%",
    ),
    Answer(
        "epidural_extension",
        True,
        "boolean",
        _local("epidural_extension", "Tumour extension into the epidural space"),
        "imaging",
    ),
)
ANSWER_BY_CODE: dict[tuple[str, str], Answer] = {
    (answer.code.system, answer.code.code): answer for answer in ANSWERS
}

# Platelet counts arrive in several spellings of the same unit (10^9/L == 10^3/µL), or per µL.
PLATELET_UNITS_THOUSANDS = frozenset(
    {"10*3/uL", "10*9/L", "10^3/uL", "10^9/L", "10*3/mm3", "K/uL", "x10E3/uL", "10E3/uL", "G/L"}
)
PLATELET_UNITS_SINGLE = frozenset({"/uL", "/mm3", "1/uL"})
