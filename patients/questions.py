"""The intake questions: how each case input is asked, and which of the seed's criteria it feeds.

The intake form's labels and help texts. How an answer is named and worded once given (on the
referral pages, the summary, the histories) is `patients.vocabulary`. The "feeds" part of every
help text is built from the engine's rules, so it cannot drift from what the engine reads.
"""

import functools
from dataclasses import dataclass

from eligibility.conf import get_thresholds
from eligibility.engine import RULES, RuleKind, Thresholds

from .models import Etiology

# Etiologies for which each tumour-only question is asked; for any other etiology (or an
# unknown one) the question is hidden and its answer is unknown.
TUMOUR_ONLY_QUESTIONS: dict[str, frozenset[str]] = {
    "high_fracture_risk": frozenset({Etiology.METASTASIS, Etiology.MYELOMA}),
    "epidural_extension": frozenset({Etiology.METASTASIS, Etiology.MYELOMA, Etiology.HEMANGIOMA}),
}

_KIND_NAMES = {
    RuleKind.INDICATION: "indication",
    RuleKind.ABSOLUTE: "absolute contraindication",
    RuleKind.RELATIVE: "relative contraindication",
}


@dataclass(frozen=True, slots=True)
class Question:
    """One intake question: the case input it answers, its wording and a short hint."""

    name: str
    label: str
    hint: str = ""
    per_level: bool = False

    @property
    def case_input(self) -> str:
        """The input's name in the engine's rules (`levels[].pain_nrs` for level questions)."""
        return f"levels[].{self.name}" if self.per_level else self.name

    @property
    def help_text(self) -> str:
        """The hint followed by the seed's criteria this answer feeds."""
        return _help_text(self.hint, self.case_input)


@functools.cache
def _help_text(hint: str, case_input: str) -> str:
    # Built once per question: the rules are constants of the engine.
    feeds = [
        f"“{rule.text}” ({_KIND_NAMES[rule.kind]})" for rule in RULES if case_input in rule.inputs
    ]
    parts = [hint] if hint else []
    if feeds:
        parts.append("Feeds " + "; ".join(feeds) + ".")
    return " ".join(parts)


@functools.cache
def _referral_questions(t: Thresholds) -> dict[str, Question]:
    questions = (
        Question(
            "pain_controlled_by_medical_therapy",
            "Is the pain controlled by, or improving on, conservative medical therapy?",
            "Analgesics, bracing, rest.",
        ),
        Question(
            "coagulopathy",
            "Does the patient have a bleeding disorder or take anticoagulant or antiplatelet "
            "drugs?",
        ),
        Question(
            "coagulopathy_corrected",
            "If so, is it corrected (or the drug paused) for the procedure?",
            "Only matters when the answer above is yes.",
        ),
        Question(
            "inr",
            "INR",
            f"Optional; above {t.inr_max:g} counts as uncorrected.",
        ),
        Question(
            "platelets",
            "Platelet count (×10⁹/L)",
            f"Optional; below {t.platelets_min:g} counts as uncorrected.",
        ),
        Question("systemic_infection", "Does the patient have a systemic infection?"),
        Question("local_infection", "Is there an infection at the access site?"),
        Question(
            "allergies",
            "Allergy to a component the procedure needs",
            "Cement (PMMA), contrast medium, local anaesthetic or another required component.",
        ),
        Question("radicular_pain", "Does the patient have radicular pain or radiculopathy?"),
        Question(
            "radicular_cause",
            "What causes the radicular pain?",
            "Only matters when there is radicular pain.",
        ),
    )
    return {question.name: question for question in questions}


@functools.cache
def _level_questions(t: Thresholds) -> dict[str, Question]:
    questions = (
        Question(
            "level",
            "Level",
            "C1–C7, T1–T12, L1–L5 or S1–S5. Every criterion is judged per level; the most "
            "favourable level decides the referral.",
        ),
        Question("etiology", "Etiology"),
        Question(
            "pain_nrs",
            "Pain attributed to this level (NRS 0–10)",
            f"Severe is {t.severe_pain_nrs} or more; 0 means no pain.",
        ),
        Question("fracture", "Is the vertebral body fractured or collapsed at this level?"),
        Question(
            "fracture_date",
            "Date of the fracture",
            f"Needed to tell a fracture older than {t.old_fracture_days} days.",
        ),
        Question(
            "imaging_acute",
            "Does imaging show an acute, unhealed fracture?",
            "Bone marrow edema on MRI STIR or T2 fat-sat, or uptake on a bone scan.",
        ),
        Question(
            "high_fracture_risk",
            "Is the tumour lesion at high risk of fracture?",
            "For example SINS 7 or more. Asked for metastases and myeloma.",
        ),
        Question("osteomyelitis", "Does the target vertebra have osteomyelitis?"),
        Question(
            "canal_compromise_pct",
            "Spinal canal compromise by a retropulsed fragment (%)",
            f"0–100; more than {t.canal_compromise_max_pct:g}% needs a radiologist's review.",
        ),
        Question(
            "epidural_extension",
            "Does the tumour extend into the epidural space?",
            "Asked for metastases, myeloma and haemangiomas.",
        ),
    )
    return {
        question.name: Question(question.name, question.label, question.hint, per_level=True)
        for question in questions
    }


def referral_questions() -> dict[str, Question]:
    """The referral-level questions by field name, worded with the thresholds in force."""
    return _referral_questions(get_thresholds())


def level_questions() -> dict[str, Question]:
    """The per-level questions by field name, worded with the thresholds in force."""
    return _level_questions(get_thresholds())


def question_for_path(path: str) -> Question | None:
    """The question answering a case path such as `inr` or `levels[2].pain_nrs`."""
    if path.startswith("levels[") and "]." in path:
        return level_questions().get(path.split("].", 1)[1])
    return referral_questions().get(path)
