"""The rules and the engine's findings in the active language, from this app's catalog.

The engine answers in English (the spec's result, the CLI and /api/evaluate keep it). People
read each rule's wording and each finding's reason in their language: the reason comes from
the engine as a code with values (eligibility.engine.reasons), is translated here, and its
numbers and dates are written in the language's formats (1,4 in Italian). The seed's English
wording stays with every finding as `seed_text`, so the source is never lost.

A translated reason is shown only when its English reading equals the sentence the engine
stored; otherwise (a result of another ruleset release) the stored English is shown.
"""

import copy
import logging
from datetime import date
from typing import Any

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from .engine import (
    DEFAULT_THRESHOLDS,
    PLURAL_TEMPLATES,
    RULES,
    RULES_BY_ID,
    CaseValidationError,
    Reason,
    Thresholds,
    finding_reasons,
    reason_text,
    ruleset_version,
    validate_case,
)

logger = logging.getLogger(__name__)

# The seed's wording of each rule (the message ids are the seed's own words).
RULE_TEXTS: dict[str, Promise] = {
    "IND-OSTEOPOROSIS": _("Severe painful Osteoporosis"),
    "IND-TUMOR": _("Painful vertebral tumors (metastases or myeloma) with high risk of fracture"),
    "IND-ANGIOMA": _("Symptomatic vertebral angioma"),
    "CI-ASYMPTOMATIC-STABLE": _("Asymptomatic stable fracture"),
    "CI-EFFECTIVE-THERAPY": _("Clinically effective medical therapy"),
    "CI-OSTEOMYELITIS": _("Osteomyelitis of target vertebra"),
    "CI-COAGULOPATHY": _("Uncorrected coagulation disorders"),
    "CI-ACUTE-TRAUMA": _("Acute traumatic fracture of non-osteoporotic vertebra"),
    "CI-PROPHYLAXIS": _("Prophylaxis with no evidence of acute fracture"),
    "CI-ALLERGY": _("Allergy to any required component"),
    "CI-INFECTION": _("Local or systemic infection"),
    "RCI-RADICULOPATHY": _(
        "Radicular pain or radiculopathy caused by a compressive syndrome unrelated to "
        "vertebral body collapse"
    ),
    # xgettext:no-python-format
    "RCI-RETROPULSION": _("Retropulsed fragment with > 20% spinal canal compromise"),
    "RCI-EPIDURAL": _("Tumor extension into epidural space"),
    "RCI-OLD-STABLE": _("Stable fracture without pain older than one year"),
}

# What each rule means, in words (the engine's `criterion`).
RULE_CRITERIA: dict[str, Promise] = {
    "IND-OSTEOPOROSIS": _(
        "The level's etiology is osteoporosis, the level is fractured, and its pain NRS is at "
        "least SEVERE_PAIN_NRS."
    ),
    "IND-TUMOR": _(
        "The level's etiology is metastasis or myeloma, its pain NRS is at least "
        "PAIN_PRESENT_NRS, and it is fractured or at high risk of fracture."
    ),
    "IND-ANGIOMA": _(
        "The level's etiology is hemangioma and its pain NRS is at least PAIN_PRESENT_NRS."
    ),
    "CI-ASYMPTOMATIC-STABLE": _(
        "The level is fractured, its pain NRS is 0, and imaging shows no sign of an acute "
        "fracture (imaging_acute is false)."
    ),
    "CI-EFFECTIVE-THERAPY": _(
        "The pain is controlled by, or improving on, conservative medical therapy."
    ),
    "CI-OSTEOMYELITIS": _("The target vertebra has osteomyelitis."),
    "CI-COAGULOPATHY": _(
        "Met when there is a coagulopathy that is not corrected, or the INR is above INR_MAX, "
        "or the platelet count is below PLATELETS_MIN. Lab values are optional: an absent one "
        "is no evidence either way. Otherwise unknown if and only if coagulopathy is absent, "
        "or coagulopathy is true and its correction is absent; else not met."
    ),
    "CI-ACUTE-TRAUMA": _(
        "The level's etiology is traumatic, the level is fractured, and imaging shows an acute "
        "fracture."
    ),
    "CI-PROPHYLAXIS": _(
        "The level's etiology is osteoporosis and the level is not fractured (treatment would "
        "be prophylactic). A fractured level without imaging signs of acuteness is judged by "
        "CI-ASYMPTOMATIC-STABLE and RCI-OLD-STABLE instead."
    ),
    "CI-ALLERGY": _(
        "The patient is allergic to at least one required component (cement, contrast, "
        "anesthetic, other). An empty list means none known; an absent list is unknown."
    ),
    "CI-INFECTION": _("The patient has a systemic infection or an infection at the access site."),
    "RCI-RADICULOPATHY": _(
        "The patient has radicular pain and its cause is a compression unrelated to the "
        "vertebral collapse. No radicular pain makes it not met whatever the cause."
    ),
    "RCI-RETROPULSION": _(
        "The level is fractured and a retropulsed fragment compromises more than "
        "CANAL_COMPROMISE_MAX_PCT percent of the spinal canal."
    ),
    "RCI-EPIDURAL": _(
        "The level's etiology is metastasis, myeloma or hemangioma and the tumour extends into "
        "the epidural space."
    ),
    "RCI-OLD-STABLE": _(
        "The level is fractured, imaging shows no sign of an acute fracture, and the fracture "
        "is more than OLD_FRACTURE_DAYS days older than the assessment date."
    ),
}

# Each reason code's sentence; the message ids are the engine's English templates.
REASON_MESSAGES: dict[str, Promise] = {
    "osteoporosis_severe_pain": _(
        "Osteoporotic fracture with pain NRS %(pain_nrs)s, "
        "at or above the severe threshold %(severe_pain_nrs)s."
    ),
    "etiology_not_osteoporosis": _("Etiology is %(etiology)s, not osteoporosis."),
    "no_fracture": _("No fracture at this level."),
    "pain_below_severe": _(
        "Pain NRS %(pain_nrs)s is below the severe threshold %(severe_pain_nrs)s."
    ),
    "tumor_painful_fracture": _(
        "%(etiology_noun)s with pain NRS %(pain_nrs)s (painful from %(pain_present_nrs)s) "
        "and a fracture."
    ),
    "tumor_painful_high_risk": _(
        "%(etiology_noun)s with pain NRS %(pain_nrs)s (painful from %(pain_present_nrs)s) "
        "and a high risk of fracture."
    ),
    "etiology_not_tumor": _("Etiology is %(etiology)s, not metastasis or myeloma."),
    "pain_below_painful": _(
        "Pain NRS %(pain_nrs)s is below the painful threshold %(pain_present_nrs)s."
    ),
    "no_fracture_nor_high_risk": _("Neither a fracture nor a high risk of fracture."),
    "angioma_symptomatic": _(
        "Hemangioma with pain NRS %(pain_nrs)s (symptomatic from %(pain_present_nrs)s)."
    ),
    "etiology_not_hemangioma": _("Etiology is %(etiology)s, not hemangioma."),
    "pain_below_symptomatic": _(
        "Pain NRS %(pain_nrs)s is below the symptomatic threshold %(pain_present_nrs)s."
    ),
    "fracture_painless_not_acute": _(
        "Fracture with pain NRS 0 and no imaging sign of an acute fracture."
    ),
    "fracture_symptomatic": _("Pain NRS %(pain_nrs)s: the fracture is symptomatic."),
    "imaging_acute": _("Imaging shows an acute fracture."),
    "pain_controlled": _("Pain is controlled by, or improving on, medical therapy."),
    "pain_not_controlled": _("Pain is not controlled by medical therapy."),
    "osteomyelitis": _("Osteomyelitis of %(level)s."),
    "no_osteomyelitis": _("No osteomyelitis of %(level)s."),
    "coagulation_not_corrected": _("Coagulation not corrected: %(causes)s."),
    "coagulopathy_uncorrected": _("an uncorrected coagulopathy"),
    "inr_above": _("INR %(inr)s above %(inr_max)s"),
    "platelets_below": _("platelets %(platelets)s ×10⁹/L below %(platelets_min)s"),
    "no_coagulopathy_no_labs": _("No coagulopathy; no INR or platelet count against it."),
    "coagulopathy_corrected_no_labs": _(
        "Coagulopathy corrected; no INR or platelet count against it."
    ),
    "no_coagulopathy_labs": _("No coagulopathy; %(labs)s."),
    "coagulopathy_corrected_labs": _("Coagulopathy corrected; %(labs)s."),
    "inr_within": _("INR %(inr)s (at most %(inr_max)s)"),
    "platelets_within": _("platelets %(platelets)s ×10⁹/L (at least %(platelets_min)s)"),
    "trauma_acute": _("Traumatic fracture that imaging shows to be acute."),
    "etiology_not_traumatic": _("Etiology is %(etiology)s, not traumatic."),
    "imaging_not_acute": _("Imaging shows no acute fracture."),
    "osteoporotic_no_fracture": _(
        "Osteoporotic level without a fracture: treatment would be prophylactic."
    ),
    "level_fractured": _("The level is fractured."),
    "allergy": _("Allergy to %(allergens)s."),
    "no_allergy": _("No known allergy to a required component."),
    "infection_systemic_and_local": _("Systemic infection and infection at the access site."),
    "infection_systemic": _("Systemic infection."),
    "infection_local": _("Infection at the access site."),
    "no_infection": _("No systemic or local infection."),
    "radicular_unrelated_compression": _(
        "Radicular pain from a compression unrelated to the vertebral collapse."
    ),
    "no_radicular_pain": _("No radicular pain."),
    "radicular_from_collapse": _("The radicular pain is caused by the vertebral collapse."),
    "canal_compromise_exceeds": _(
        "Canal compromise %(canal_compromise_pct)s%% exceeds %(canal_compromise_max_pct)s%%."
    ),
    "canal_compromise_within": _(
        "Canal compromise %(canal_compromise_pct)s%% does not exceed "
        "%(canal_compromise_max_pct)s%%."
    ),
    "tumor_epidural": _("%(etiology_noun)s extends into the epidural space."),
    "etiology_not_tumor_any": _("Etiology is %(etiology)s, not a tumor."),
    "no_epidural_extension": _("No epidural extension."),
    "old_fracture_not_acute": _(
        "Fracture of %(fracture_date)s is %(age_days)s days old (more than "
        "%(old_fracture_days)s) with no imaging sign of an acute fracture."
    ),
    "fracture_not_old": _(
        "Fracture of %(fracture_date)s is %(age_days)s days old, not more than "
        "%(old_fracture_days)s."
    ),
    "not_enough_recorded": _("Not enough is recorded to decide."),
}


def _not_recorded(count: int) -> str:
    return ngettext("%(inputs)s is not recorded.", "%(inputs)s are not recorded.", count)


PLURAL_MESSAGES = {"not_recorded": _not_recorded}

# How an input is named in a sentence ("Pain NRS is not recorded.").
INPUT_LABELS: dict[str, Promise] = {
    "assessed_on": _("assessment date"),
    "patient.sex": _("sex"),
    "patient.date_of_birth": _("date of birth"),
    "pain_controlled_by_medical_therapy": _("response to medical therapy"),
    "coagulopathy": _("coagulopathy"),
    "coagulopathy_corrected": _("whether the coagulopathy is corrected"),
    "inr": _("INR"),
    "platelets": _("platelet count"),
    "systemic_infection": _("systemic infection"),
    "local_infection": _("local infection"),
    "allergies": _("allergy status"),
    "radicular_pain": _("radicular pain"),
    "radicular_cause": _("cause of the radicular pain"),
    "levels[].level": _("level"),
    "levels[].etiology": _("etiology"),
    "levels[].pain_nrs": _("pain NRS"),
    "levels[].fracture": _("fracture status"),
    "levels[].fracture_date": _("fracture date"),
    "levels[].imaging_acute": _("imaging of fracture acuteness"),
    "levels[].high_fracture_risk": _("fracture risk"),
    "levels[].osteomyelitis": _("osteomyelitis"),
    "levels[].canal_compromise_pct": _("canal compromise"),
    "levels[].epidural_extension": _("epidural extension"),
}

# An etiology inside a sentence ("Etiology is metastasis, …"), and as its subject.
ETIOLOGY_WORDS: dict[str, Promise] = {
    "osteoporosis": pgettext_lazy("etiology in a sentence", "osteoporosis"),
    "metastasis": pgettext_lazy("etiology in a sentence", "metastasis"),
    "myeloma": pgettext_lazy("etiology in a sentence", "myeloma"),
    "hemangioma": pgettext_lazy("etiology in a sentence", "hemangioma"),
    "traumatic": pgettext_lazy("etiology in a sentence", "traumatic"),
    "other": pgettext_lazy("etiology in a sentence", "other"),
}
ETIOLOGY_SUBJECTS: dict[str, Promise] = {
    "osteoporosis": pgettext_lazy("etiology as a subject", "Osteoporotic fracture"),
    "metastasis": pgettext_lazy("etiology as a subject", "Metastasis"),
    "myeloma": pgettext_lazy("etiology as a subject", "Myeloma"),
    "hemangioma": pgettext_lazy("etiology as a subject", "Hemangioma"),
    "traumatic": pgettext_lazy("etiology as a subject", "Traumatic fracture"),
    "other": pgettext_lazy("etiology as a subject", "Lesion"),
}
ALLERGEN_WORDS: dict[str, Promise] = {
    "cement": pgettext_lazy("allergen in a sentence", "cement"),
    "contrast": pgettext_lazy("allergen in a sentence", "contrast"),
    "anesthetic": pgettext_lazy("allergen in a sentence", "anesthetic"),
    "other": pgettext_lazy("allergen in a sentence", "other"),
}

THRESHOLD_UNITS: dict[str, Promise] = {
    "SEVERE_PAIN_NRS": _("NRS 0–10"),
    "PAIN_PRESENT_NRS": _("NRS 0–10"),
    "INR_MAX": _("ratio"),
    "PLATELETS_MIN": _("×10⁹/L"),
    "CANAL_COMPROMISE_MAX_PCT": _("%"),
    "OLD_FRACTURE_DAYS": _("days"),
}
THRESHOLD_SOURCES: dict[str, Promise] = {
    "SEVERE_PAIN_NRS": _(
        "standard NRS bands 1–4 mild, 5–6 moderate, 7–10 severe (Serlin 1995; Palos, "
        "J Pain 2006); VAPOUR trial inclusion NRS ≥ 7"
    ),
    "PAIN_PRESENT_NRS": _('"painful" / "symptomatic": any pain attributed to the level'),
    "INR_MAX": _("SIR 2019 consensus, high-bleeding-risk procedures: correct INR to ≤ 1.5–1.8"),
    "PLATELETS_MIN": _("SIR 2019 consensus: consider transfusion below 50 ×10⁹/L"),
    # xgettext:no-python-format
    "CANAL_COMPROMISE_MAX_PCT": _('the seed: "> 20% spinal canal compromise"'),
    "OLD_FRACTURE_DAYS": _('the seed: "older than one year"'),
}


KIND_HEADINGS: dict[str, Promise] = {
    "indication": _("Indications (at least one must be met)"),
    "absolute": _("Absolute contraindications (any met: not a candidate)"),
    "relative": _("Relative contraindications (any met: a radiologist reviews)"),
}
RECOMMENDATION_WORDS: dict[str, Promise] = {
    "eligible": pgettext_lazy("engine recommendation", "eligible"),
    "review": pgettext_lazy("engine recommendation", "review by a radiologist"),
    "incomplete": pgettext_lazy("engine recommendation", "incomplete"),
    "not_eligible": pgettext_lazy("engine recommendation", "not eligible"),
}
# The engine's decision order (eligibility.engine.DECISION_ORDER), step by step.
DECISION_STEPS: tuple[tuple[str, Promise], ...] = (
    ("not_eligible", _("any absolute contraindication is met")),
    ("not_eligible", _("every indication is not met (no indication)")),
    (
        "incomplete",
        _(
            "no indication is met (so some are unknown), or any contraindication, absolute or "
            "relative, is unknown"
        ),
    ),
    ("review", _("any relative contraindication is met")),
    ("eligible", _("otherwise")),
)


def rule_text(rule_id: str) -> str:
    """The rule's seed wording in the active language."""
    text = RULE_TEXTS.get(rule_id)
    return str(text) if text is not None else RULES_BY_ID[rule_id].text


def and_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' in the active language."""
    return str(get_text_list(items, pgettext("a list's last joining word", "and")))


def format_value(value: object) -> str:
    """A number or a date as the active language writes it: 1,5 and 2 gennaio 2024 in Italian."""
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return formats.number_format(value)
    return str(value)


def _value_text(name: str, value: object) -> str:
    if isinstance(value, tuple):
        if name == "inputs":
            words = [str(INPUT_LABELS.get(item, item)) for item in value]
        elif name == "allergens":
            words = [str(ALLERGEN_WORDS.get(item, item)) for item in value]
        else:
            words = [_message(item) if isinstance(item, Reason) else str(item) for item in value]
        return and_list(words)
    if name == "etiology":
        return str(ETIOLOGY_WORDS.get(str(value), value))
    return format_value(value)


def _message(reason: Reason) -> str:
    values = {name: _value_text(name, value) for name, value in reason.values.items()}
    if "etiology" in reason.values:
        etiology = str(reason.values["etiology"])
        values["etiology_noun"] = str(ETIOLOGY_SUBJECTS.get(etiology, etiology))
    plural = PLURAL_MESSAGES.get(reason.code)
    if plural is not None:
        counted = reason.values.get(PLURAL_TEMPLATES[reason.code][0]) or ()
        return plural(len(counted)) % values  # type: ignore[arg-type]
    return str(REASON_MESSAGES[reason.code]) % values


def reason_message(reason: Reason) -> str:
    """A finding's reason in the active language, with its values in the language's formats."""
    text = _message(reason)
    return text[:1].upper() + text[1:]


def localized_result(
    result: dict[str, Any], *, case: dict[str, Any], thresholds: Thresholds | None, today: date
) -> dict[str, Any]:
    """A copy of the engine's result for people: each finding's `text` and `reason` in the
    active language, with the seed's English kept as `seed_text` and the engine's sentence as
    `reason_en`. The engine's own result is left as it is.

    `thresholds` are those the result was made under (checked by its ruleset version); a
    finding whose reason cannot be reproduced keeps the stored English sentence.
    """
    shown = copy.deepcopy(result)
    reasons = _reasons(result, case=case, thresholds=thresholds, today=today)
    for index, level in enumerate(shown.get("levels") or []):
        for position, finding in enumerate(level.get("findings") or []):
            finding["seed_text"] = finding.get("text", "")
            finding["reason_en"] = finding.get("reason", "")
            if finding.get("rule") in RULE_TEXTS:
                finding["text"] = rule_text(finding["rule"])
            reason = reasons[index][position] if reasons else None
            if reason is not None and reason_text(reason) == finding["reason_en"]:
                finding["reason"] = reason_message(reason)
    return shown


def _reasons(
    result: dict[str, Any], *, case: dict[str, Any], thresholds: Thresholds | None, today: date
) -> tuple[tuple[Reason, ...], ...] | None:
    if thresholds is None:
        logger.warning("Findings shown in English: the thresholds of their ruleset are unknown.")
        return None
    if result.get("ruleset_version") != ruleset_version(thresholds):
        logger.warning("Findings shown in English: their ruleset is not the thresholds given.")
        return None
    try:
        facts = validate_case(case, today=today)
    except CaseValidationError:
        logger.warning("Findings shown in English: their case is no longer valid.")
        return None
    reasons = finding_reasons(facts, thresholds=thresholds)
    shapes = [len(level.get("findings") or []) for level in result.get("levels") or []]
    if [len(level) for level in reasons] != shapes:
        return None
    return reasons


def thresholds_for(version: str) -> Thresholds | None:
    """The thresholds a result of this ruleset version was made under, if still known: those
    in force, the configured seed, the defaults, or a governed version's."""
    from .conf import active_ruleset, seed_thresholds, thresholds_of
    from .selectors import version_by_ruleset

    for thresholds in (active_ruleset().thresholds, seed_thresholds(), DEFAULT_THRESHOLDS):
        if ruleset_version(thresholds) == version:
            return thresholds
    governed = version_by_ruleset(version)
    return thresholds_of(governed.thresholds) if governed is not None else None


def evaluation_result(evaluation) -> dict[str, Any]:
    """A stored evaluation's result for people, in the active language (see localized_result)."""
    return localized_result(
        evaluation.result,
        case=evaluation.case,
        thresholds=thresholds_for(evaluation.ruleset_version),
        today=timezone.localdate(evaluation.created_at),
    )


def rule_rows() -> list[dict[str, Any]]:
    """Every rule for the evidence page: id, kind, wording (translated and the seed's), what
    it means and the thresholds it reads."""
    return [
        {
            "id": rule.id,
            "kind": rule.kind.value,
            "kind_label": str(KIND_HEADINGS[rule.kind.value]),
            "text": rule_text(rule.id),
            "seed_text": rule.text,
            "criterion": str(RULE_CRITERIA[rule.id]),
            "inputs": [str(INPUT_LABELS.get(name, name)) for name in rule.inputs],
            "thresholds": list(rule.thresholds),
        }
        for rule in RULES
    ]


def decision_order() -> list[dict[str, str]]:
    """The decision order of one level, in words, for the evidence page."""
    return [
        {"condition": str(condition), "recommendation": str(RECOMMENDATION_WORDS[value])}
        for value, condition in DECISION_STEPS
    ]


def unit_text(name: str) -> str:
    return str(THRESHOLD_UNITS.get(name, ""))


def source_text(name: str) -> str:
    return str(THRESHOLD_SOURCES.get(name, ""))
