"""The seed's indications and contraindications as declarative rules.

Each rule pairs the seed's wording with a predicate over typed facts (three-valued, Kleene
logic: an absent input is unknown, never "no") and a reason builder that states the values
that decided a met or not-met finding. Unknown findings are explained by the evaluator from
the inputs whose absence leaves them undecided.

Changing a predicate or a reason changes what the engine says: update the rule's `criterion`
and bump RULESET_RELEASE in version.py (a test holds the rules' code to the release).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .facts import CaseFacts, LevelFacts
from .thresholds import Thresholds
from .vocabulary import RuleKind, Status
from .wording import and_list, number

MET = Status.MET
NOT_MET = Status.NOT_MET
UNKNOWN = Status.UNKNOWN

Predicate = Callable[[CaseFacts, LevelFacts, Thresholds], Status]
ReasonBuilder = Callable[[CaseFacts, LevelFacts, Thresholds, Status], str]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: the seed's wording, what it means in words, what it reads, how it decides."""

    id: str
    kind: RuleKind
    text: str
    criterion: str
    inputs: tuple[str, ...]
    thresholds: tuple[str, ...]
    predicate: Predicate
    reason: ReasonBuilder

    def __repr__(self) -> str:
        return f"Rule({self.id!r})"


_TUMORS = frozenset({"metastasis", "myeloma"})
_EPIDURAL_TUMORS = frozenset({"metastasis", "myeloma", "hemangioma"})
_ETIOLOGY_NOUN = {
    "osteoporosis": "Osteoporotic fracture",
    "metastasis": "Metastasis",
    "myeloma": "Myeloma",
    "hemangioma": "Hemangioma",
    "traumatic": "Traumatic fracture",
    "other": "Lesion",
}
_NO_FRACTURE = "No fracture at this level."


# Predicates spell out Kleene logic inline (they run 15 times per level). AND: not met if
# any part is false, else unknown if any part is absent, else met. OR: met if any part is
# true, else unknown if any part is absent, else not met. A comparison with an absent number
# is an absent part. Each reason builder explains a met or not-met status only.

# --- Indications -------------------------------------------------------------------------


def _ind_osteoporosis(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    etiology, fracture, pain = level.etiology, level.fracture, level.pain_nrs
    if (
        (etiology is not None and etiology != "osteoporosis")
        or fracture is False
        or (pain is not None and pain < t.severe_pain_nrs)
    ):
        return NOT_MET
    if etiology is None or fracture is None or pain is None:
        return UNKNOWN
    return MET


def _why_ind_osteoporosis(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return (
            f"Osteoporotic fracture with pain NRS {level.pain_nrs}, "
            f"at or above the severe threshold {t.severe_pain_nrs}."
        )
    if level.etiology is not None and level.etiology != "osteoporosis":
        return f"Etiology is {level.etiology}, not osteoporosis."
    if level.fracture is False:
        return _NO_FRACTURE
    return f"Pain NRS {level.pain_nrs} is below the severe threshold {t.severe_pain_nrs}."


def _ind_tumor(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    etiology, pain = level.etiology, level.pain_nrs
    fracture, high_risk = level.fracture, level.high_fracture_risk
    if (
        (etiology is not None and etiology not in _TUMORS)
        or (pain is not None and pain < t.pain_present_nrs)
        or (fracture is False and high_risk is False)  # the OR part is false
    ):
        return NOT_MET
    if etiology is None or pain is None or (fracture is not True and high_risk is not True):
        return UNKNOWN
    return MET


def _why_ind_tumor(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        because = "a fracture" if level.fracture else "a high risk of fracture"
        return (
            f"{_ETIOLOGY_NOUN[level.etiology or 'other']} with pain NRS {level.pain_nrs} "
            f"(painful from {t.pain_present_nrs}) and {because}."
        )
    if level.etiology is not None and level.etiology not in _TUMORS:
        return f"Etiology is {level.etiology}, not metastasis or myeloma."
    if level.pain_nrs is not None and level.pain_nrs < t.pain_present_nrs:
        return f"Pain NRS {level.pain_nrs} is below the painful threshold {t.pain_present_nrs}."
    return "Neither a fracture nor a high risk of fracture."


def _ind_angioma(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    etiology, pain = level.etiology, level.pain_nrs
    if (etiology is not None and etiology != "hemangioma") or (
        pain is not None and pain < t.pain_present_nrs
    ):
        return NOT_MET
    if etiology is None or pain is None:
        return UNKNOWN
    return MET


def _why_ind_angioma(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return f"Hemangioma with pain NRS {level.pain_nrs} (symptomatic from {t.pain_present_nrs})."
    if level.etiology is not None and level.etiology != "hemangioma":
        return f"Etiology is {level.etiology}, not hemangioma."
    return f"Pain NRS {level.pain_nrs} is below the symptomatic threshold {t.pain_present_nrs}."


# --- Absolute contraindications ----------------------------------------------------------


def _ci_asymptomatic_stable(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    fracture, pain, acute = level.fracture, level.pain_nrs, level.imaging_acute
    if fracture is False or (pain is not None and pain != 0) or acute is True:
        return NOT_MET
    if fracture is None or pain is None or acute is None:
        return UNKNOWN
    return MET


def _why_ci_asymptomatic_stable(
    case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status
) -> str:
    if s is MET:
        return "Fracture with pain NRS 0 and no imaging sign of an acute fracture."
    if level.fracture is False:
        return _NO_FRACTURE
    if level.pain_nrs is not None and level.pain_nrs != 0:
        return f"Pain NRS {level.pain_nrs}: the fracture is symptomatic."
    return "Imaging shows an acute fracture."


def _ci_effective_therapy(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    controlled = case.pain_controlled_by_medical_therapy
    return UNKNOWN if controlled is None else MET if controlled else NOT_MET


def _why_ci_effective_therapy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return "Pain is controlled by, or improving on, medical therapy."
    return "Pain is not controlled by medical therapy."


def _ci_osteomyelitis(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    osteomyelitis = level.osteomyelitis
    return UNKNOWN if osteomyelitis is None else MET if osteomyelitis else NOT_MET


def _why_ci_osteomyelitis(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return f"Osteomyelitis of {level.level}."
    return f"No osteomyelitis of {level.level}."


def _ci_coagulopathy(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    # The spec's own rule, not plain Kleene logic: lab values can only make it met, and an
    # absent `coagulopathy` leaves it unknown whatever `coagulopathy_corrected` says.
    coagulopathy, inr, platelets = case.coagulopathy, case.inr, case.platelets
    if (
        (coagulopathy is True and case.coagulopathy_corrected is False)
        or (inr is not None and inr > t.inr_max)
        or (platelets is not None and platelets < t.platelets_min)
    ):
        return MET
    if coagulopathy is None or (coagulopathy is True and case.coagulopathy_corrected is None):
        return UNKNOWN
    return NOT_MET


def _why_ci_coagulopathy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    inr, platelets = case.inr, case.platelets
    if s is MET:
        causes = []
        if case.coagulopathy is True and case.coagulopathy_corrected is False:
            causes.append("an uncorrected coagulopathy")
        if inr is not None and inr > t.inr_max:
            causes.append(f"INR {number(inr)} above {number(t.inr_max)}")
        if platelets is not None and platelets < t.platelets_min:
            causes.append(f"platelets {number(platelets)} ×10⁹/L below {number(t.platelets_min)}")
        return f"Coagulation not corrected: {and_list(causes)}."
    history = "No coagulopathy" if case.coagulopathy is False else "Coagulopathy corrected"
    labs = []
    if inr is not None:
        labs.append(f"INR {number(inr)} (at most {number(t.inr_max)})")
    if platelets is not None:
        labs.append(f"platelets {number(platelets)} ×10⁹/L (at least {number(t.platelets_min)})")
    if not labs:
        return f"{history}; no INR or platelet count against it."
    return f"{history}; {and_list(labs)}."


def _ci_acute_trauma(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    etiology, fracture, acute = level.etiology, level.fracture, level.imaging_acute
    if (etiology is not None and etiology != "traumatic") or fracture is False or acute is False:
        return NOT_MET
    if etiology is None or fracture is None or acute is None:
        return UNKNOWN
    return MET


def _why_ci_acute_trauma(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return "Traumatic fracture that imaging shows to be acute."
    if level.etiology is not None and level.etiology != "traumatic":
        return f"Etiology is {level.etiology}, not traumatic."
    if level.fracture is False:
        return _NO_FRACTURE
    return "Imaging shows no acute fracture."


def _ci_prophylaxis(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    etiology, fracture = level.etiology, level.fracture
    if (etiology is not None and etiology != "osteoporosis") or fracture is True:
        return NOT_MET
    if etiology is None or fracture is None:
        return UNKNOWN
    return MET


def _why_ci_prophylaxis(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return "Osteoporotic level without a fracture: treatment would be prophylactic."
    if level.etiology is not None and level.etiology != "osteoporosis":
        return f"Etiology is {level.etiology}, not osteoporosis."
    return "The level is fractured."


def _ci_allergy(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    allergies = case.allergies
    return UNKNOWN if allergies is None else MET if allergies else NOT_MET


def _why_ci_allergy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return f"Allergy to {and_list(list(case.allergies or ()))}."
    return "No known allergy to a required component."


def _ci_infection(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    # Kleene OR: met if either is true, not met if both are false, else unknown.
    systemic, local = case.systemic_infection, case.local_infection
    if systemic is True or local is True:
        return MET
    if systemic is None or local is None:
        return UNKNOWN
    return NOT_MET


def _why_ci_infection(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        if case.systemic_infection and case.local_infection:
            return "Systemic infection and infection at the access site."
        if case.systemic_infection:
            return "Systemic infection."
        return "Infection at the access site."
    return "No systemic or local infection."


# --- Relative contraindications ----------------------------------------------------------


def _rci_radiculopathy(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    pain, cause = case.radicular_pain, case.radicular_cause
    if pain is False or (cause is not None and cause != "unrelated_compression"):
        return NOT_MET
    if pain is None or cause is None:
        return UNKNOWN
    return MET


def _why_rci_radiculopathy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return "Radicular pain from a compression unrelated to the vertebral collapse."
    if case.radicular_pain is False:
        return "No radicular pain."
    return "The radicular pain is caused by the vertebral collapse."


def _rci_retropulsion(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    fracture, canal = level.fracture, level.canal_compromise_pct
    if fracture is False or (canal is not None and canal <= t.canal_compromise_max_pct):
        return NOT_MET
    if fracture is None or canal is None:
        return UNKNOWN
    return MET


def _why_rci_retropulsion(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if level.fracture is False:
        return _NO_FRACTURE
    canal, limit = number(level.canal_compromise_pct or 0), number(t.canal_compromise_max_pct)
    if s is MET:
        return f"Canal compromise {canal}% exceeds {limit}%."
    return f"Canal compromise {canal}% does not exceed {limit}%."


def _rci_epidural(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    etiology, extension = level.etiology, level.epidural_extension
    if (etiology is not None and etiology not in _EPIDURAL_TUMORS) or extension is False:
        return NOT_MET
    if etiology is None or extension is None:
        return UNKNOWN
    return MET


def _why_rci_epidural(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if s is MET:
        return f"{_ETIOLOGY_NOUN[level.etiology or 'other']} extends into the epidural space."
    if level.etiology is not None and level.etiology not in _EPIDURAL_TUMORS:
        return f"Etiology is {level.etiology}, not a tumor."
    return "No epidural extension."


def _rci_old_stable(case: CaseFacts, level: LevelFacts, t: Thresholds) -> Status:
    fracture, acute, fracture_date = level.fracture, level.imaging_acute, level.fracture_date
    if (
        fracture is False
        or acute is True
        or (
            fracture_date is not None
            and (case.assessed_on - fracture_date).days <= t.old_fracture_days
        )
    ):
        return NOT_MET
    if fracture is None or acute is None or fracture_date is None:
        return UNKNOWN
    return MET


def _why_rci_old_stable(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> str:
    if level.fracture is False:
        return _NO_FRACTURE
    if level.imaging_acute is True:
        return "Imaging shows an acute fracture."
    age = (case.assessed_on - level.fracture_date).days if level.fracture_date else 0
    if s is MET:
        return (
            f"Fracture of {level.fracture_date} is {age} days old (more than "
            f"{t.old_fracture_days}) with no imaging sign of an acute fracture."
        )
    return (
        f"Fracture of {level.fracture_date} is {age} days old, not more than {t.old_fracture_days}."
    )


# --- The ruleset -------------------------------------------------------------------------

INDICATION, ABSOLUTE, RELATIVE = RuleKind.INDICATION, RuleKind.ABSOLUTE, RuleKind.RELATIVE

RULES: tuple[Rule, ...] = (
    Rule(
        id="IND-OSTEOPOROSIS",
        kind=INDICATION,
        text="Severe painful Osteoporosis",
        criterion=(
            "The level's etiology is osteoporosis, the level is fractured, "
            "and its pain NRS is at least SEVERE_PAIN_NRS."
        ),
        inputs=("levels[].etiology", "levels[].fracture", "levels[].pain_nrs"),
        thresholds=("SEVERE_PAIN_NRS",),
        predicate=_ind_osteoporosis,
        reason=_why_ind_osteoporosis,
    ),
    Rule(
        id="IND-TUMOR",
        kind=INDICATION,
        text="Painful vertebral tumors (metastases or myeloma) with high risk of fracture",
        criterion=(
            "The level's etiology is metastasis or myeloma, its pain NRS is at least "
            "PAIN_PRESENT_NRS, and it is fractured or at high risk of fracture."
        ),
        inputs=(
            "levels[].etiology",
            "levels[].pain_nrs",
            "levels[].fracture",
            "levels[].high_fracture_risk",
        ),
        thresholds=("PAIN_PRESENT_NRS",),
        predicate=_ind_tumor,
        reason=_why_ind_tumor,
    ),
    Rule(
        id="IND-ANGIOMA",
        kind=INDICATION,
        text="Symptomatic vertebral angioma",
        criterion=(
            "The level's etiology is hemangioma and its pain NRS is at least PAIN_PRESENT_NRS."
        ),
        inputs=("levels[].etiology", "levels[].pain_nrs"),
        thresholds=("PAIN_PRESENT_NRS",),
        predicate=_ind_angioma,
        reason=_why_ind_angioma,
    ),
    Rule(
        id="CI-ASYMPTOMATIC-STABLE",
        kind=ABSOLUTE,
        text="Asymptomatic stable fracture",
        criterion=(
            "The level is fractured, its pain NRS is 0, and imaging shows no sign of an "
            "acute fracture (imaging_acute is false)."
        ),
        inputs=("levels[].fracture", "levels[].pain_nrs", "levels[].imaging_acute"),
        thresholds=(),
        predicate=_ci_asymptomatic_stable,
        reason=_why_ci_asymptomatic_stable,
    ),
    Rule(
        id="CI-EFFECTIVE-THERAPY",
        kind=ABSOLUTE,
        text="Clinically effective medical therapy",
        criterion="The pain is controlled by, or improving on, conservative medical therapy.",
        inputs=("pain_controlled_by_medical_therapy",),
        thresholds=(),
        predicate=_ci_effective_therapy,
        reason=_why_ci_effective_therapy,
    ),
    Rule(
        id="CI-OSTEOMYELITIS",
        kind=ABSOLUTE,
        text="Osteomyelitis of target vertebra",
        criterion="The target vertebra has osteomyelitis.",
        inputs=("levels[].osteomyelitis",),
        thresholds=(),
        predicate=_ci_osteomyelitis,
        reason=_why_ci_osteomyelitis,
    ),
    Rule(
        id="CI-COAGULOPATHY",
        kind=ABSOLUTE,
        text="Uncorrected coagulation disorders",
        criterion=(
            "Met when there is a coagulopathy that is not corrected, or the INR is above "
            "INR_MAX, or the platelet count is below PLATELETS_MIN. Lab values are optional: "
            "an absent one is no evidence either way. Otherwise unknown if and only if "
            "coagulopathy is absent, or coagulopathy is true and its correction is absent; "
            "else not met."
        ),
        inputs=("coagulopathy", "coagulopathy_corrected", "inr", "platelets"),
        thresholds=("INR_MAX", "PLATELETS_MIN"),
        predicate=_ci_coagulopathy,
        reason=_why_ci_coagulopathy,
    ),
    Rule(
        id="CI-ACUTE-TRAUMA",
        kind=ABSOLUTE,
        text="Acute traumatic fracture of non-osteoporotic vertebra",
        criterion=(
            "The level's etiology is traumatic, the level is fractured, and imaging shows an "
            "acute fracture."
        ),
        inputs=("levels[].etiology", "levels[].fracture", "levels[].imaging_acute"),
        thresholds=(),
        predicate=_ci_acute_trauma,
        reason=_why_ci_acute_trauma,
    ),
    Rule(
        id="CI-PROPHYLAXIS",
        kind=ABSOLUTE,
        text="Prophylaxis with no evidence of acute fracture",
        criterion=(
            "The level's etiology is osteoporosis and the level is not fractured (treatment "
            "would be prophylactic). A fractured level without imaging signs of acuteness is "
            "judged by CI-ASYMPTOMATIC-STABLE and RCI-OLD-STABLE instead."
        ),
        inputs=("levels[].etiology", "levels[].fracture"),
        thresholds=(),
        predicate=_ci_prophylaxis,
        reason=_why_ci_prophylaxis,
    ),
    Rule(
        id="CI-ALLERGY",
        kind=ABSOLUTE,
        text="Allergy to any required component",
        criterion=(
            "The patient is allergic to at least one required component (cement, contrast, "
            "anesthetic, other). An empty list means none known; an absent list is unknown."
        ),
        inputs=("allergies",),
        thresholds=(),
        predicate=_ci_allergy,
        reason=_why_ci_allergy,
    ),
    Rule(
        id="CI-INFECTION",
        kind=ABSOLUTE,
        text="Local or systemic infection",
        criterion="The patient has a systemic infection or an infection at the access site.",
        inputs=("systemic_infection", "local_infection"),
        thresholds=(),
        predicate=_ci_infection,
        reason=_why_ci_infection,
    ),
    Rule(
        id="RCI-RADICULOPATHY",
        kind=RELATIVE,
        text=(
            "Radicular pain or radiculopathy caused by a compressive syndrome unrelated to "
            "vertebral body collapse"
        ),
        criterion=(
            "The patient has radicular pain and its cause is a compression unrelated to the "
            "vertebral collapse. No radicular pain makes it not met whatever the cause."
        ),
        inputs=("radicular_pain", "radicular_cause"),
        thresholds=(),
        predicate=_rci_radiculopathy,
        reason=_why_rci_radiculopathy,
    ),
    Rule(
        id="RCI-RETROPULSION",
        kind=RELATIVE,
        text="Retropulsed fragment with > 20% spinal canal compromise",
        criterion=(
            "The level is fractured and a retropulsed fragment compromises more than "
            "CANAL_COMPROMISE_MAX_PCT percent of the spinal canal."
        ),
        inputs=("levels[].fracture", "levels[].canal_compromise_pct"),
        thresholds=("CANAL_COMPROMISE_MAX_PCT",),
        predicate=_rci_retropulsion,
        reason=_why_rci_retropulsion,
    ),
    Rule(
        id="RCI-EPIDURAL",
        kind=RELATIVE,
        text="Tumor extension into epidural space",
        criterion=(
            "The level's etiology is metastasis, myeloma or hemangioma and the tumour extends "
            "into the epidural space."
        ),
        inputs=("levels[].etiology", "levels[].epidural_extension"),
        thresholds=(),
        predicate=_rci_epidural,
        reason=_why_rci_epidural,
    ),
    Rule(
        id="RCI-OLD-STABLE",
        kind=RELATIVE,
        text="Stable fracture without pain older than one year",
        criterion=(
            "The level is fractured, imaging shows no sign of an acute fracture, and the "
            "fracture is more than OLD_FRACTURE_DAYS days older than the assessment date."
        ),
        inputs=(
            "assessed_on",
            "levels[].fracture",
            "levels[].fracture_date",
            "levels[].imaging_acute",
        ),
        thresholds=("OLD_FRACTURE_DAYS",),
        predicate=_rci_old_stable,
        reason=_why_rci_old_stable,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
