"""What a referral summary says, built once from stored records for the page and the PDF.

Everything clinical comes from the evaluation's snapshot (its case and result), so a
summary shows exactly what the engine was given and said, even after the referral changed.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from eligibility.conf import active_ruleset
from eligibility.engine import RULES, RULES_BY_ID
from eligibility.models import Evaluation
from eligibility.selectors import version_by_ruleset
from patients import vocabulary
from patients.models import Referral
from patients.vocabulary import Answer
from reviews.selectors import information_thread

from .patient_copy import PatientCopy, patient_copy, summary_title

# Rules that read only patient-level answers: the same finding at every level.
PATIENT_RULES = frozenset(
    rule.id for rule in RULES if not any(name.startswith("levels[]") for name in rule.inputs)
)


@dataclass(frozen=True)
class Finding:
    rule: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    text: str
    reason: str
    # The seed's English wording (`text` is in the reader's language).
    seed_text: str = ""


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
    # The document title (the PDF's), in the clinic copy's language.
    title: str = ""
    # The governed ruleset version the evaluation was made under (None: before governance),
    # with its approvals, and the number of the version active now.
    ruleset: object | None = None
    active_ruleset_number: int | None = None
    # The radiologists' information requests and the physician's answers (clinic copy only),
    # as they stood when the summary was made.
    information_thread: tuple = ()


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


def _level_summaries(evaluation: Evaluation, to_treat: set[str]) -> tuple[LevelSummary, ...]:
    case_levels = {level["level"]: level for level in evaluation.case.get("levels", [])}
    summaries = []
    # Rule wording and reasons in the reader's language (the stored result is English).
    for level in evaluation.localized_result()["levels"]:
        answers_given = case_levels.get(level["level"], {})
        decisive = _decisive_inputs(level["findings"])
        answers = vocabulary.answers(
            answers_given, (name for name in vocabulary.LEVEL_ANSWER_FIELDS if name in decisive)
        )
        findings = tuple(
            Finding(
                rule=f["rule"],
                kind=f["kind"],
                kind_label=vocabulary.rule_kind_label(f["kind"]),
                status=f["status"],
                status_label=vocabulary.finding_status_label(f["status"]),
                text=f["text"],
                reason=f["reason"],
                seed_text=f.get("seed_text", f["text"]),
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
                recommendation_label=vocabulary.recommendation_label(level["recommendation"]),
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
        engine_recommendation=vocabulary.recommendation_label(decision.engine_recommendation),
        overridden_rules=tuple(decision.overridden_rules or ()),
        requires_countersignature=decision.requires_countersignature,
        countersigned_by=_person(countersignature.signed_by) if countersignature else "",
        countersigned_at=countersignature.signed_at if countersignature else None,
        pending_countersignature=pending,
        decided_by=_person(decision.decided_by),
        decided_at=decision.decided_at,
        corrects=decision.supersedes_id,
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
    referral_answers = vocabulary.referral_answers(case)
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
        sex=vocabulary.answer_text("sex", patient.sex),
        physician_name=physician_name,
        physician_email=referral.physician.email,
        assessed_on=assessed_on,
        recommendation=evaluation.recommendation,
        recommendation_label=vocabulary.recommendation_label(evaluation.recommendation),
        flagged=evaluation.flagged,
        ruleset_version=evaluation.ruleset_version,
        referral_answers=referral_answers,
        levels=levels,
        missing=tuple(
            vocabulary.case_path_label(path, [level["level"] for level in case.get("levels", [])])
            for path in result["missing"]
        ),
        decision=decision_summary,
        title=summary_title(referral.pk),
        patient_copy=patient_copy(
            decision_summary, physician_name, language=patient.preferred_language
        ),
        document_id=document.pk if document is not None else None,
        superseded_by_id=document.superseded_by_id if document is not None else None,
        referral_answer_rows=_pairs(referral_answers),
        patient_not_met=patient_not_met,
        patient_not_met_text=findings_line(patient_not_met),
        ruleset=version_by_ruleset(evaluation.ruleset_version),
        active_ruleset_number=active_ruleset().number,
        information_thread=tuple(information_thread(referral, until=generated_at)),
    )
