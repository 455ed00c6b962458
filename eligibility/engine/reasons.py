"""Each finding's reason as a stable code and its values, for rendering in any language.

The spec's result carries each reason as one English sentence (rules.py writes it). People
read reasons in their own language, so the app renders them from a catalog instead; this
module gives it what to render: `finding_reasons` returns, for the same findings as
`evaluate_facts`, a `Reason(code, values)` each, and `reason_text` writes a Reason in the
English of the result. The code is stable across releases; the values are data (numbers,
dates, codes of the case vocabulary, input names), never text.

rules.py stays the source of the English sentence (its code is locked to the ruleset
release). The branches below mirror its reason builders one for one; a test holds
`reason_text(reason)` equal to the result's sentence for every finding of the shared
examples, the golden cases and generated cases, so a change there that is not made here
fails.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .evaluation import _Probe, _probes, _undecided_by
from .facts import INPUT_LABELS, CaseFacts, LevelFacts
from .rules import RULES
from .thresholds import DEFAULT_THRESHOLDS, Thresholds
from .vocabulary import Status
from .wording import and_list, number, sentence_start

MET, NOT_MET, UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a finding has its status: a code of REASON_TEMPLATES and the values it names.

    A value is a number, a date, a string of the case vocabulary (an etiology, a level label),
    a tuple of such strings (allergens; input names under "inputs"), or a tuple of Reasons
    (the parts of a compound reason, joined as a list).
    """

    code: str
    values: Mapping[str, object] = field(default_factory=dict)


# Every reason's English, as %-format templates (`%%` is a literal percent sign). The app's
# catalog uses these same sentences as its message ids. A code's meaning never changes: a
# reworded reason gets a new code. Codes with a plural form are in PLURAL_TEMPLATES.
REASON_TEMPLATES: dict[str, str] = {
    # Indications
    "osteoporosis_severe_pain": (
        "Osteoporotic fracture with pain NRS %(pain_nrs)s, "
        "at or above the severe threshold %(severe_pain_nrs)s."
    ),
    "etiology_not_osteoporosis": "Etiology is %(etiology)s, not osteoporosis.",
    "no_fracture": "No fracture at this level.",
    "pain_below_severe": "Pain NRS %(pain_nrs)s is below the severe threshold %(severe_pain_nrs)s.",
    "tumor_painful_fracture": (
        "%(etiology_noun)s with pain NRS %(pain_nrs)s (painful from %(pain_present_nrs)s) "
        "and a fracture."
    ),
    "tumor_painful_high_risk": (
        "%(etiology_noun)s with pain NRS %(pain_nrs)s (painful from %(pain_present_nrs)s) "
        "and a high risk of fracture."
    ),
    "etiology_not_tumor": "Etiology is %(etiology)s, not metastasis or myeloma.",
    "pain_below_painful": (
        "Pain NRS %(pain_nrs)s is below the painful threshold %(pain_present_nrs)s."
    ),
    "no_fracture_nor_high_risk": "Neither a fracture nor a high risk of fracture.",
    "angioma_symptomatic": (
        "Hemangioma with pain NRS %(pain_nrs)s (symptomatic from %(pain_present_nrs)s)."
    ),
    "etiology_not_hemangioma": "Etiology is %(etiology)s, not hemangioma.",
    "pain_below_symptomatic": (
        "Pain NRS %(pain_nrs)s is below the symptomatic threshold %(pain_present_nrs)s."
    ),
    # Absolute contraindications
    "fracture_painless_not_acute": (
        "Fracture with pain NRS 0 and no imaging sign of an acute fracture."
    ),
    "fracture_symptomatic": "Pain NRS %(pain_nrs)s: the fracture is symptomatic.",
    "imaging_acute": "Imaging shows an acute fracture.",
    "pain_controlled": "Pain is controlled by, or improving on, medical therapy.",
    "pain_not_controlled": "Pain is not controlled by medical therapy.",
    "osteomyelitis": "Osteomyelitis of %(level)s.",
    "no_osteomyelitis": "No osteomyelitis of %(level)s.",
    "coagulation_not_corrected": "Coagulation not corrected: %(causes)s.",
    "coagulopathy_uncorrected": "an uncorrected coagulopathy",
    "inr_above": "INR %(inr)s above %(inr_max)s",
    "platelets_below": "platelets %(platelets)s ×10⁹/L below %(platelets_min)s",
    "no_coagulopathy_no_labs": "No coagulopathy; no INR or platelet count against it.",
    "coagulopathy_corrected_no_labs": (
        "Coagulopathy corrected; no INR or platelet count against it."
    ),
    "no_coagulopathy_labs": "No coagulopathy; %(labs)s.",
    "coagulopathy_corrected_labs": "Coagulopathy corrected; %(labs)s.",
    "inr_within": "INR %(inr)s (at most %(inr_max)s)",
    "platelets_within": "platelets %(platelets)s ×10⁹/L (at least %(platelets_min)s)",
    "trauma_acute": "Traumatic fracture that imaging shows to be acute.",
    "etiology_not_traumatic": "Etiology is %(etiology)s, not traumatic.",
    "imaging_not_acute": "Imaging shows no acute fracture.",
    "osteoporotic_no_fracture": (
        "Osteoporotic level without a fracture: treatment would be prophylactic."
    ),
    "level_fractured": "The level is fractured.",
    "allergy": "Allergy to %(allergens)s.",
    "no_allergy": "No known allergy to a required component.",
    "infection_systemic_and_local": "Systemic infection and infection at the access site.",
    "infection_systemic": "Systemic infection.",
    "infection_local": "Infection at the access site.",
    "no_infection": "No systemic or local infection.",
    # Relative contraindications
    "radicular_unrelated_compression": (
        "Radicular pain from a compression unrelated to the vertebral collapse."
    ),
    "no_radicular_pain": "No radicular pain.",
    "radicular_from_collapse": "The radicular pain is caused by the vertebral collapse.",
    "canal_compromise_exceeds": (
        "Canal compromise %(canal_compromise_pct)s%% exceeds %(canal_compromise_max_pct)s%%."
    ),
    "canal_compromise_within": (
        "Canal compromise %(canal_compromise_pct)s%% does not exceed "
        "%(canal_compromise_max_pct)s%%."
    ),
    "tumor_epidural": "%(etiology_noun)s extends into the epidural space.",
    "etiology_not_tumor_any": "Etiology is %(etiology)s, not a tumor.",
    "no_epidural_extension": "No epidural extension.",
    "old_fracture_not_acute": (
        "Fracture of %(fracture_date)s is %(age_days)s days old (more than "
        "%(old_fracture_days)s) with no imaging sign of an acute fracture."
    ),
    "fracture_not_old": (
        "Fracture of %(fracture_date)s is %(age_days)s days old, not more than "
        "%(old_fracture_days)s."
    ),
    # Unknown findings
    "not_enough_recorded": "Not enough is recorded to decide.",
}
# Codes whose sentence depends on how many items a list value holds: (the list value's name,
# the singular template, the plural template).
PLURAL_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "not_recorded": ("inputs", "%(inputs)s is not recorded.", "%(inputs)s are not recorded."),
}
# How an etiology reads as the subject of a sentence ("Metastasis with pain NRS 6 …"): the
# value `etiology` also fills `%(etiology_noun)s`.
ETIOLOGY_NOUNS: dict[str, str] = {
    "osteoporosis": "Osteoporotic fracture",
    "metastasis": "Metastasis",
    "myeloma": "Myeloma",
    "hemangioma": "Hemangioma",
    "traumatic": "Traumatic fracture",
    "other": "Lesion",
}

_TUMORS = frozenset({"metastasis", "myeloma"})
_EPIDURAL_TUMORS = frozenset({"metastasis", "myeloma", "hemangioma"})
_NO_FRACTURE = Reason("no_fracture")

ReasonOf = Callable[[CaseFacts, LevelFacts, Thresholds, Status], Reason]


# --- Indications -------------------------------------------------------------------------


def _ind_osteoporosis(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        return Reason(
            "osteoporosis_severe_pain",
            {"pain_nrs": level.pain_nrs, "severe_pain_nrs": t.severe_pain_nrs},
        )
    if level.etiology is not None and level.etiology != "osteoporosis":
        return Reason("etiology_not_osteoporosis", {"etiology": level.etiology})
    if level.fracture is False:
        return _NO_FRACTURE
    return Reason(
        "pain_below_severe", {"pain_nrs": level.pain_nrs, "severe_pain_nrs": t.severe_pain_nrs}
    )


def _ind_tumor(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        code = "tumor_painful_fracture" if level.fracture else "tumor_painful_high_risk"
        values = {
            "etiology": level.etiology or "other",
            "pain_nrs": level.pain_nrs,
            "pain_present_nrs": t.pain_present_nrs,
        }
        return Reason(code, values)
    if level.etiology is not None and level.etiology not in _TUMORS:
        return Reason("etiology_not_tumor", {"etiology": level.etiology})
    if level.pain_nrs is not None and level.pain_nrs < t.pain_present_nrs:
        return Reason(
            "pain_below_painful",
            {"pain_nrs": level.pain_nrs, "pain_present_nrs": t.pain_present_nrs},
        )
    return Reason("no_fracture_nor_high_risk")


def _ind_angioma(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    values = {"pain_nrs": level.pain_nrs, "pain_present_nrs": t.pain_present_nrs}
    if s is MET:
        return Reason("angioma_symptomatic", values)
    if level.etiology is not None and level.etiology != "hemangioma":
        return Reason("etiology_not_hemangioma", {"etiology": level.etiology})
    return Reason("pain_below_symptomatic", values)


# --- Absolute contraindications ----------------------------------------------------------


def _ci_asymptomatic_stable(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        return Reason("fracture_painless_not_acute")
    if level.fracture is False:
        return _NO_FRACTURE
    if level.pain_nrs is not None and level.pain_nrs != 0:
        return Reason("fracture_symptomatic", {"pain_nrs": level.pain_nrs})
    return Reason("imaging_acute")


def _ci_effective_therapy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    return Reason("pain_controlled" if s is MET else "pain_not_controlled")


def _ci_osteomyelitis(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    return Reason("osteomyelitis" if s is MET else "no_osteomyelitis", {"level": level.level})


def _ci_coagulopathy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    inr, platelets = case.inr, case.platelets
    if s is MET:
        causes = []
        if case.coagulopathy is True and case.coagulopathy_corrected is False:
            causes.append(Reason("coagulopathy_uncorrected"))
        if inr is not None and inr > t.inr_max:
            causes.append(Reason("inr_above", {"inr": inr, "inr_max": t.inr_max}))
        if platelets is not None and platelets < t.platelets_min:
            causes.append(
                Reason(
                    "platelets_below", {"platelets": platelets, "platelets_min": t.platelets_min}
                )
            )
        return Reason("coagulation_not_corrected", {"causes": tuple(causes)})
    history = "no_coagulopathy" if case.coagulopathy is False else "coagulopathy_corrected"
    labs = []
    if inr is not None:
        labs.append(Reason("inr_within", {"inr": inr, "inr_max": t.inr_max}))
    if platelets is not None:
        labs.append(
            Reason("platelets_within", {"platelets": platelets, "platelets_min": t.platelets_min})
        )
    if not labs:
        return Reason(f"{history}_no_labs")
    return Reason(f"{history}_labs", {"labs": tuple(labs)})


def _ci_acute_trauma(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        return Reason("trauma_acute")
    if level.etiology is not None and level.etiology != "traumatic":
        return Reason("etiology_not_traumatic", {"etiology": level.etiology})
    if level.fracture is False:
        return _NO_FRACTURE
    return Reason("imaging_not_acute")


def _ci_prophylaxis(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        return Reason("osteoporotic_no_fracture")
    if level.etiology is not None and level.etiology != "osteoporosis":
        return Reason("etiology_not_osteoporosis", {"etiology": level.etiology})
    return Reason("level_fractured")


def _ci_allergy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        return Reason("allergy", {"allergens": tuple(case.allergies or ())})
    return Reason("no_allergy")


def _ci_infection(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        if case.systemic_infection and case.local_infection:
            return Reason("infection_systemic_and_local")
        if case.systemic_infection:
            return Reason("infection_systemic")
        return Reason("infection_local")
    return Reason("no_infection")


# --- Relative contraindications ----------------------------------------------------------


def _rci_radiculopathy(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        return Reason("radicular_unrelated_compression")
    if case.radicular_pain is False:
        return Reason("no_radicular_pain")
    return Reason("radicular_from_collapse")


def _rci_retropulsion(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if level.fracture is False:
        return _NO_FRACTURE
    values = {
        "canal_compromise_pct": level.canal_compromise_pct or 0,
        "canal_compromise_max_pct": t.canal_compromise_max_pct,
    }
    return Reason("canal_compromise_exceeds" if s is MET else "canal_compromise_within", values)


def _rci_epidural(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if s is MET:
        return Reason("tumor_epidural", {"etiology": level.etiology or "other"})
    if level.etiology is not None and level.etiology not in _EPIDURAL_TUMORS:
        return Reason("etiology_not_tumor_any", {"etiology": level.etiology})
    return Reason("no_epidural_extension")


def _rci_old_stable(case: CaseFacts, level: LevelFacts, t: Thresholds, s: Status) -> Reason:
    if level.fracture is False:
        return _NO_FRACTURE
    if level.imaging_acute is True:
        return Reason("imaging_acute")
    age = (case.assessed_on - level.fracture_date).days if level.fracture_date else 0
    values = {
        "fracture_date": level.fracture_date,
        "age_days": age,
        "old_fracture_days": t.old_fracture_days,
    }
    return Reason("old_fracture_not_acute" if s is MET else "fracture_not_old", values)


REASONS_BY_RULE: dict[str, ReasonOf] = {
    "IND-OSTEOPOROSIS": _ind_osteoporosis,
    "IND-TUMOR": _ind_tumor,
    "IND-ANGIOMA": _ind_angioma,
    "CI-ASYMPTOMATIC-STABLE": _ci_asymptomatic_stable,
    "CI-EFFECTIVE-THERAPY": _ci_effective_therapy,
    "CI-OSTEOMYELITIS": _ci_osteomyelitis,
    "CI-COAGULOPATHY": _ci_coagulopathy,
    "CI-ACUTE-TRAUMA": _ci_acute_trauma,
    "CI-PROPHYLAXIS": _ci_prophylaxis,
    "CI-ALLERGY": _ci_allergy,
    "CI-INFECTION": _ci_infection,
    "RCI-RADICULOPATHY": _rci_radiculopathy,
    "RCI-RETROPULSION": _rci_retropulsion,
    "RCI-EPIDURAL": _rci_epidural,
    "RCI-OLD-STABLE": _rci_old_stable,
}
if set(REASONS_BY_RULE) != {rule.id for rule in RULES}:
    raise RuntimeError("Every rule needs its reason codes in eligibility/engine/reasons.py.")

_PLAN = tuple(
    (
        rule,
        REASONS_BY_RULE[rule.id],
        any(name.startswith("levels[].") for name in rule.inputs),
        _probes(rule),
    )
    for rule in RULES
)


def _unknown(undecided: list[_Probe]) -> Reason:
    if not undecided:
        return Reason("not_enough_recorded")
    return Reason("not_recorded", {"inputs": tuple(probe.name for probe in undecided)})


def finding_reasons(
    facts: CaseFacts, *, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> tuple[tuple[Reason, ...], ...]:
    """The reason of every finding of `evaluate_facts(facts)`: per level, in rule order."""
    t = thresholds
    patient_reasons: dict[str, Reason] = {}
    levels = []
    for index, level in enumerate(facts.levels):
        reasons = []
        for rule, reason_of, per_level, probes in _PLAN:
            if index and not per_level:
                reasons.append(patient_reasons[rule.id])
                continue
            status = rule.predicate(facts, level, t)
            if status is UNKNOWN:
                reason = _unknown(_undecided_by(probes, rule.predicate, facts, level, t))
            else:
                reason = reason_of(facts, level, t, status)
            if not per_level:
                patient_reasons[rule.id] = reason
            reasons.append(reason)
        levels.append(tuple(reasons))
    return tuple(levels)


def template_of(reason: Reason) -> str:
    """The English template of a reason (the singular or plural one for a counted list)."""
    plural = PLURAL_TEMPLATES.get(reason.code)
    if plural is None:
        return REASON_TEMPLATES[reason.code]
    name, singular, many = plural
    counted = reason.values.get(name) or ()
    return singular if len(counted) == 1 else many  # type: ignore[arg-type]


def _english_value(name: str, value: object) -> str:
    if isinstance(value, tuple):
        if name == "inputs":
            return and_list([INPUT_LABELS[item] for item in value])
        return and_list(
            [_english(item) if isinstance(item, Reason) else str(item) for item in value]
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return str(value)


def _english(reason: Reason) -> str:
    values = {name: _english_value(name, value) for name, value in reason.values.items()}
    if "etiology" in reason.values:
        values["etiology_noun"] = ETIOLOGY_NOUNS[str(reason.values["etiology"])]
    return template_of(reason) % values


def reason_text(reason: Reason) -> str:
    """The reason as the English sentence of the spec's result."""
    return sentence_start(_english(reason))
