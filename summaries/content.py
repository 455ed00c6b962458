"""What a referral summary says, built once from stored records for the page and the PDF.

Everything clinical comes from the evaluation's snapshot (its case and result), so a
summary shows exactly what the engine was given and said, even after the referral changed.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format

from eligibility.conf import active_ruleset
from eligibility.engine import RULES, RULES_BY_ID
from eligibility.engine.facts import INPUT_LABELS
from eligibility.models import Evaluation, Recommendation
from eligibility.selectors import version_by_ruleset
from patients.models import Allergy, Etiology, RadicularCause, Referral, Sex

KIND_LABELS = {
    "indication": "Indication",
    "absolute": "Absolute contraindication",
    "relative": "Relative contraindication",
}
STATUS_LABELS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
# Rules that read only patient-level answers: the same finding at every level.
PATIENT_RULES = frozenset(
    rule.id for rule in RULES if not any(name.startswith("levels[]") for name in rule.inputs)
)
UNKNOWN_ANSWER = "Unknown"

# The referral-level answers in the order of the intake form; every level answer follows.
REFERRAL_ANSWERS: tuple[str, ...] = (
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
)
LEVEL_ANSWERS: tuple[str, ...] = (
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
_CHOICE_LABELS: dict[str, dict[str, str]] = {
    "etiology": dict(Etiology.choices),
    "radicular_cause": dict(RadicularCause.choices),
    "allergies": dict(Allergy.choices),
}
# Follow-up questions that do not apply when the question they follow was answered "No".
_FOLLOW_UPS = {"coagulopathy_corrected": "coagulopathy", "radicular_cause": "radicular_pain"}
NOT_APPLICABLE = "Not applicable"
_UNITS = {"platelets": " ×10⁹/L", "canal_compromise_pct": " %", "pain_nrs": " / 10"}
_MISSING_PATH = re.compile(r"^levels\[(\d+)\]\.(\w+)$")


def answer_label(name: str) -> str:
    """The engine's own label of an input, as a heading ("Pain NRS")."""
    label = INPUT_LABELS.get(name) or INPUT_LABELS.get(f"levels[].{name}") or name
    return label[0].upper() + label[1:]


def format_answer(name: str, value) -> str:
    """An answer as the clinic reads it: Yes/No, labels for codes, units, Unknown for absent."""
    if value is None:
        return UNKNOWN_ANSWER
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name == "allergies":
        labels = _CHOICE_LABELS["allergies"]
        return ", ".join(labels.get(item, item) for item in value) if value else "None known"
    if name in _CHOICE_LABELS:
        return _CHOICE_LABELS[name].get(value, value)
    if name == "fracture_date":
        return date_format(date.fromisoformat(value), "DATE_FORMAT")
    return f"{value}{_UNITS.get(name, '')}"


@dataclass(frozen=True)
class Answer:
    name: str
    label: str
    value: str
    is_unknown: bool


@dataclass(frozen=True)
class Finding:
    rule: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    text: str
    reason: str


@dataclass(frozen=True)
class LevelSummary:
    """One target level, with what the page shows of it worked out once (the page and the
    PDF read these fields; nothing is recomputed while the template renders)."""

    level: str
    recommendation: str
    recommendation_label: str
    answers: tuple[Answer, ...]
    findings: tuple[Finding, ...]
    met: tuple[Finding, ...]
    to_treat: bool
    # Met and unknown findings: what decided the level, or what it still needs.
    decisive: tuple[Finding, ...] = ()
    # The level's own criteria checked and not met (patient-level ones are listed once).
    not_met: tuple[Finding, ...] = ()
    # `not_met` as the one line the summary prints.
    not_met_text: str = ""
    # The answers two to a row, for the two-column table.
    answer_rows: tuple[tuple[Answer | None, ...], ...] = ()


@dataclass(frozen=True)
class DecisionSummary:
    id: int
    outcome: str
    outcome_label: str
    levels_to_treat: tuple[str, ...]
    reason: str
    comment: str
    is_override: bool
    override_reason: str
    engine_recommendation: str
    overridden_rules: tuple[str, ...]
    requires_countersignature: bool
    countersigned_by: str
    countersigned_at: datetime | None
    pending_countersignature: bool
    decided_by: str
    decided_at: datetime
    corrects: int | None


@dataclass(frozen=True)
class PatientCopy:
    """The patient's page: the outcome in plain words and what happens next."""

    heading: str
    outcome: str
    reason: str
    next_steps: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    clinic_name: str
    generated_at: datetime
    referral: Referral
    evaluation: Evaluation
    patient_name: str
    mrn: str
    date_of_birth: date
    age: int | None
    sex: str
    physician_name: str
    physician_email: str
    assessed_on: date | None
    recommendation: str
    recommendation_label: str
    flagged: bool
    ruleset_version: str
    referral_answers: tuple[Answer, ...]
    levels: tuple[LevelSummary, ...]
    missing: tuple[str, ...]
    decision: DecisionSummary | None
    patient_copy: PatientCopy
    document_id: int | None = None
    superseded_by_id: int | None = None
    # The referral answers two to a row, for the two-column table.
    referral_answer_rows: tuple[tuple[Answer | None, ...], ...] = ()
    # Patient-level criteria checked and not met: the same at every level, listed once.
    patient_not_met: tuple[Finding, ...] = ()
    # `patient_not_met` as the one line the summary prints.
    patient_not_met_text: str = ""
    # The governed ruleset version the evaluation was made under (None: before governance),
    # with its approvals, and the number of the version active now.
    ruleset: object | None = None
    active_ruleset_number: int | None = None


def _pairs(answers: tuple[Answer, ...]) -> tuple[tuple[Answer | None, ...], ...]:
    """Answers two to a row, for the two-column tables; the last row padded with None."""
    padded = (*answers, None) if len(answers) % 2 else answers
    return tuple(zip(padded[::2], padded[1::2], strict=True))


def findings_line(findings: tuple[Finding, ...]) -> str:
    """Findings as one line of text: "wording (rule): reason · wording (rule): reason"."""
    return " · ".join(f"{f.text} ({f.rule}): {f.reason}" for f in findings)


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _age(born: date, on: date | None) -> int | None:
    if on is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _missing_label(path: str, levels: list[dict]) -> str:
    match = _MISSING_PATH.match(path)
    if match is None:
        return answer_label(path)
    index, name = int(match.group(1)), match.group(2)
    level = levels[index]["level"] if index < len(levels) else f"Level {index + 1}"
    return f"{level}: {answer_label(name)}"


def _decisive_inputs(findings: list[dict]) -> set[str]:
    """The level's inputs read by its met or unknown findings (its indications' if none)."""
    chosen = [f for f in findings if f["status"] in {"met", "unknown"}]
    if not any(f["status"] == "met" for f in chosen):
        chosen += [f for f in findings if f["kind"] == "indication"]
    names: set[str] = set()
    for finding in chosen:
        rule = RULES_BY_ID.get(finding["rule"])
        if rule is not None:
            names.update(
                name.removeprefix("levels[].")
                for name in rule.inputs
                if name.startswith("levels[].")
            )
    return names


def _referral_answers(case: dict) -> tuple[Answer, ...]:
    answers = []
    for name in REFERRAL_ANSWERS:
        value = case.get(name)
        if value is None and case.get(_FOLLOW_UPS.get(name, "")) is False:
            answers.append(Answer(name, answer_label(name), NOT_APPLICABLE, is_unknown=False))
            continue
        answers.append(
            Answer(name, answer_label(name), format_answer(name, value), is_unknown=value is None)
        )
    return tuple(answers)


def _level_summaries(evaluation: Evaluation, to_treat: set[str]) -> tuple[LevelSummary, ...]:
    case_levels = {level["level"]: level for level in evaluation.case.get("levels", [])}
    summaries = []
    for level in evaluation.result["levels"]:
        answers_given = case_levels.get(level["level"], {})
        decisive = _decisive_inputs(level["findings"])
        answers = tuple(
            Answer(
                name=name,
                label=answer_label(name),
                value=format_answer(name, answers_given.get(name)),
                is_unknown=answers_given.get(name) is None,
            )
            for name in LEVEL_ANSWERS
            if name in decisive
        )
        findings = tuple(
            Finding(
                rule=f["rule"],
                kind=f["kind"],
                kind_label=KIND_LABELS.get(f["kind"], f["kind"]),
                status=f["status"],
                status_label=STATUS_LABELS.get(f["status"], f["status"]),
                text=f["text"],
                reason=f["reason"],
            )
            for f in level["findings"]
        )
        not_met = tuple(
            f for f in findings if f.status == "not_met" and f.rule not in PATIENT_RULES
        )
        summaries.append(
            LevelSummary(
                level=level["level"],
                recommendation=level["recommendation"],
                recommendation_label=Recommendation(level["recommendation"]).label,
                answers=answers,
                findings=findings,
                met=tuple(f for f in findings if f.status == "met"),
                to_treat=level["level"] in to_treat,
                decisive=tuple(f for f in findings if f.status != "not_met"),
                not_met=not_met,
                not_met_text=findings_line(not_met),
                answer_rows=_pairs(answers),
            )
        )
    return tuple(summaries)


def _recommendation_label(value: str) -> str:
    return Recommendation(value).label if value in Recommendation.values else value


def _countersignature(decision):
    try:
        return decision.countersignature
    except ObjectDoesNotExist:
        return None


def _decision_summary(decision) -> DecisionSummary:
    countersignature = _countersignature(decision)
    pending = bool(decision.requires_countersignature and countersignature is None)
    return DecisionSummary(
        id=decision.pk,
        outcome=decision.outcome,
        outcome_label=decision.get_outcome_display(),
        levels_to_treat=tuple(decision.levels_to_treat or ()),
        reason=decision.reason_label if decision.reason_code_id else "",
        comment=decision.comment,
        is_override=decision.is_override,
        override_reason=decision.override_reason_label if decision.override_reason_id else "",
        engine_recommendation=_recommendation_label(decision.engine_recommendation),
        overridden_rules=tuple(decision.overridden_rules or ()),
        requires_countersignature=decision.requires_countersignature,
        countersigned_by=_person(countersignature.signed_by) if countersignature else "",
        countersigned_at=countersignature.signed_at if countersignature else None,
        pending_countersignature=pending,
        decided_by=_person(decision.decided_by),
        decided_at=decision.decided_at,
        corrects=decision.supersedes_id,
    )


def _patient_copy(decision: DecisionSummary | None, physician_name: str) -> PatientCopy:
    """The outcome in plain words: no rule ids, no internal comments."""
    doctor = f"your referring doctor, {physician_name}," if physician_name else "your doctor"
    doctor_subject = doctor[0].upper() + doctor[1:]
    if decision is None:
        return PatientCopy(
            heading="Your referral is waiting for review",
            outcome=(
                "Your referral for vertebroplasty has been received. A specialist "
                "(an interventional radiologist) will review it."
            ),
            reason="",
            next_steps=(
                "You do not need to do anything now.",
                f"The clinic or {doctor} will tell you the decision.",
            ),
        )
    if decision.outcome == "accept" and decision.pending_countersignature:
        return PatientCopy(
            heading="Your treatment is waiting for a second specialist's confirmation",
            outcome=(
                "A specialist has proposed vertebroplasty for you. Before it is final, a "
                "second specialist must confirm it."
            ),
            reason="",
            next_steps=("The clinic will contact you when the decision is confirmed.",),
        )
    if decision.outcome == "accept":
        levels = decision.levels_to_treat
        noun = "vertebrae" if len(levels) > 1 else "vertebra"
        return PatientCopy(
            heading="You have been accepted for vertebroplasty",
            outcome=(
                f"The specialist has accepted you for vertebroplasty of the {noun} "
                f"{', '.join(levels)}."
                if levels
                else "The specialist has accepted you for vertebroplasty."
            ),
            reason="",
            next_steps=(
                "The clinic will contact you to arrange the date of the procedure.",
                "Bring this sheet with you on the day of the procedure.",
                f"If you have questions, ask {doctor} or the clinic.",
            ),
        )
    if decision.outcome == "decline":
        return PatientCopy(
            heading="Vertebroplasty is not the right treatment for you at this time",
            outcome=(
                "After reviewing your referral, the specialist decided not to treat you "
                "with vertebroplasty at this time."
            ),
            reason=decision.reason,
            next_steps=(f"{doctor_subject} will discuss other treatment with you.",),
        )
    return PatientCopy(
        heading="The specialist needs more information",
        outcome=(
            "Before deciding, the specialist needs more information from your referring doctor."
        ),
        reason=decision.reason,
        next_steps=(
            f"{doctor_subject} will provide it; the referral is then reviewed again.",
            "You do not need to do anything unless your doctor asks you to.",
        ),
    )


def build_summary(
    *,
    referral: Referral,
    evaluation: Evaluation,
    decision=None,
    generated_at: datetime | None = None,
    document=None,
) -> Summary:
    """Assemble the summary of one evaluation and (optionally) the decision made on it."""
    patient = referral.patient
    case = evaluation.case
    result = evaluation.result
    assessed_on = date.fromisoformat(case["assessed_on"]) if case.get("assessed_on") else None
    decision_summary = _decision_summary(decision) if decision is not None else None
    to_treat = (
        set(decision_summary.levels_to_treat)
        if decision_summary and decision_summary.outcome == "accept"
        else set()
    )
    physician_name = _person(referral.physician)
    levels = _level_summaries(evaluation, to_treat)
    referral_answers = _referral_answers(case)
    patient_not_met = (
        tuple(f for f in levels[0].findings if f.status == "not_met" and f.rule in PATIENT_RULES)
        if levels
        else ()
    )
    return Summary(
        clinic_name=settings.VPSELECT_CLINIC_NAME,
        generated_at=generated_at or timezone.now(),
        referral=referral,
        evaluation=evaluation,
        patient_name=patient.full_name,
        mrn=patient.mrn,
        date_of_birth=patient.date_of_birth,
        age=_age(patient.date_of_birth, assessed_on),
        sex=Sex(patient.sex).label if patient.sex in Sex.values else UNKNOWN_ANSWER,
        physician_name=physician_name,
        physician_email=referral.physician.email,
        assessed_on=assessed_on,
        recommendation=evaluation.recommendation,
        recommendation_label=Recommendation(evaluation.recommendation).label,
        flagged=evaluation.flagged,
        ruleset_version=evaluation.ruleset_version,
        referral_answers=referral_answers,
        levels=levels,
        missing=tuple(_missing_label(path, case.get("levels", [])) for path in result["missing"]),
        decision=decision_summary,
        patient_copy=_patient_copy(decision_summary, physician_name),
        document_id=document.pk if document is not None else None,
        superseded_by_id=document.superseded_by_id if document is not None else None,
        referral_answer_rows=_pairs(referral_answers),
        patient_not_met=patient_not_met,
        patient_not_met_text=findings_line(patient_not_met),
        ruleset=version_by_ruleset(evaluation.ruleset_version),
        active_ruleset_number=active_ruleset().number,
    )
