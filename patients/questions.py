"""The intake questions: how each case input is asked, and which of the seed's criteria it feeds.

The intake form's labels and help texts, and which questions are asked when (branching). How an
answer is named and worded once given (on the referral pages, the summary, the histories) is
`patients.vocabulary`. The criteria each question feeds are read from the engine's rules, so they
cannot drift from what the engine reads.
"""

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from eligibility.conf import get_thresholds
from eligibility.engine import RULES, RuleKind, Thresholds
from eligibility.i18n import rule_text

from .models import Etiology

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# REDCap-style branching: a question is asked only when the answers it follows can let it
# matter to a rule; otherwise it is hidden, its answer cleared (never evaluated) and it reads
# "not asked". Per question: the questions it follows (same referral or same level) and the
# answers of each, as the form posts them, for which it is asked. Each condition is exact: a
# hidden answer could not change any finding, except the cause of radicular pain, which is
# asked only once there is radicular pain (an unknown pain makes the criterion unknown).
_TUMOURS = frozenset({Etiology.METASTASIS, Etiology.MYELOMA})
_EPIDURAL_TUMOURS = frozenset({Etiology.METASTASIS, Etiology.MYELOMA, Etiology.HEMANGIOMA})
_FRACTURED_OR_UNKNOWN = frozenset({"yes", "unknown"})
REFERRAL_BRANCHES: dict[str, dict[str, frozenset[str]]] = {
    "coagulopathy_corrected": {"coagulopathy": frozenset({"yes"})},
    "radicular_cause": {"radicular_pain": frozenset({"yes"})},
}
LEVEL_BRANCHES: dict[str, dict[str, frozenset[str]]] = {
    # Every criterion reading these is not met without a fracture.
    "fracture_date": {"fracture": _FRACTURED_OR_UNKNOWN},
    "imaging_acute": {"fracture": _FRACTURED_OR_UNKNOWN},
    "canal_compromise_pct": {"fracture": _FRACTURED_OR_UNKNOWN},
    # A painful tumour qualifies by a fracture or, without one, by its risk of fracture.
    "high_fracture_risk": {"etiology": _TUMOURS, "fracture": frozenset({"no", "unknown"})},
    "epidural_extension": {"etiology": _EPIDURAL_TUMOURS},
}
# Etiologies for which each tumour-only question is asked (the answer vocabulary reads it).
TUMOUR_ONLY_QUESTIONS: dict[str, frozenset[str]] = {
    name: branch["etiology"] for name, branch in LEVEL_BRANCHES.items() if "etiology" in branch
}


def posted_value(value: object) -> str:
    """A stored or cleaned answer as the form posts it: yes / no / unknown, or the choice."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def unmet_condition(name: str, answer_of, *, per_level: bool) -> str | None:
    """The question a hidden question waits on (its answer does not ask it), or None when the
    question is asked. `answer_of(field)` gives an answer as the form posts it."""
    branches = LEVEL_BRANCHES if per_level else REFERRAL_BRANCHES
    for lead, values in branches.get(name, {}).items():
        if answer_of(lead) not in values:
            return lead
    return None


def is_asked(name: str, answers, *, per_level: bool) -> bool:
    """Whether a question is asked given stored answers (a model or a dict of values)."""
    if hasattr(answers, "get"):
        get = answers.get
    else:

        def get(field: str) -> object:
            return getattr(answers, field, None)

    def answer_of(field: str) -> str:
        value = get(field)
        return "" if field == "etiology" and not value else posted_value(value)

    return unmet_condition(name, answer_of, per_level=per_level) is None


_KIND_NAMES = {
    RuleKind.INDICATION: _("indication"),
    RuleKind.ABSOLUTE: _("absolute contraindication"),
    RuleKind.RELATIVE: _("relative contraindication"),
}


@dataclass(frozen=True, slots=True)
class Question:
    """One intake question: the case input it answers, its wording and a short hint."""

    name: str
    label: "StrOrPromise"
    hint: "StrOrPromise" = ""
    per_level: bool = False

    @property
    def case_input(self) -> str:
        """The input's name in the engine's rules (`levels[].pain_nrs` for level questions)."""
        return f"levels[].{self.name}" if self.per_level else self.name

    @property
    def help_text(self) -> "StrOrPromise":
        """The short hint shown under the question, still lazy: the forms cache their labels
        per thresholds, and a hint made a string here would keep the first reader's language."""
        return self.hint

    @property
    def feeds(self) -> tuple[tuple[str, str, str], ...]:
        """The seed's criteria this answer feeds: (rule id, wording, kind), shown folded."""
        return _feeds(self.case_input)


def _feeds(case_input: str) -> tuple[tuple[str, str, str], ...]:
    # Not cached: the kind is worded in the language of the request.
    return tuple(
        (rule.id, rule_text(rule.id), str(_KIND_NAMES[rule.kind]))
        for rule in RULES
        if case_input in rule.inputs
    )


@functools.cache
def _referral_questions(t: Thresholds) -> dict[str, Question]:
    questions = (
        Question(
            "pain_controlled_by_medical_therapy",
            _("Is the pain controlled by, or improving on, conservative medical therapy?"),
            _("Analgesics, bracing, rest."),
        ),
        Question(
            "coagulopathy",
            _(
                "Does the patient have a bleeding disorder or take anticoagulant or "
                "antiplatelet drugs?"
            ),
        ),
        Question(
            "coagulopathy_corrected",
            _("If so, is it corrected (or the drug paused) for the procedure?"),
        ),
        Question(
            "inr",
            _("INR"),
            format_lazy(_("Optional; above {inr} counts as uncorrected."), inr=f"{t.inr_max:g}"),
        ),
        Question(
            "platelets",
            _("Platelet count (×10⁹/L)"),
            format_lazy(
                _("Optional; below {platelets} counts as uncorrected."),
                platelets=f"{t.platelets_min:g}",
            ),
        ),
        Question("systemic_infection", _("Does the patient have a systemic infection?")),
        Question("local_infection", _("Is there an infection at the access site?")),
        Question(
            "allergies",
            _("Allergy to a component the procedure needs"),
            _("Cement (PMMA), contrast medium, local anaesthetic or another required component."),
        ),
        Question("radicular_pain", _("Does the patient have radicular pain or radiculopathy?")),
        Question(
            "radicular_cause",
            _("What causes the radicular pain?"),
        ),
    )
    return {question.name: question for question in questions}


@functools.cache
def _level_questions(t: Thresholds) -> dict[str, Question]:
    questions = (
        Question(
            "level",
            _("Level"),
            _(
                "C1–C7, T1–T12, L1–L5 or S1–S5. Every criterion is judged per level; the most "
                "favourable level decides the referral."
            ),
        ),
        Question("etiology", _("Etiology")),
        Question(
            "pain_nrs",
            _("Pain attributed to this level (NRS 0–10)"),
            format_lazy(_("Severe is {nrs} or more; 0 means no pain."), nrs=t.severe_pain_nrs),
        ),
        Question("fracture", _("Is the vertebral body fractured or collapsed at this level?")),
        Question(
            "fracture_date",
            _("Date of the fracture"),
            format_lazy(
                _("Needed to tell a fracture older than {days} days."), days=t.old_fracture_days
            ),
        ),
        Question(
            "imaging_acute",
            _("Does imaging show an acute, unhealed fracture?"),
            _("Bone marrow edema on MRI STIR or T2 fat-sat, or uptake on a bone scan."),
        ),
        Question(
            "high_fracture_risk",
            _("Is the tumour lesion at high risk of fracture?"),
            _("For example SINS 7 or more. Asked for metastases and myeloma without a fracture."),
        ),
        Question("osteomyelitis", _("Does the target vertebra have osteomyelitis?")),
        Question(
            "canal_compromise_pct",
            _("Spinal canal compromise by a retropulsed fragment (%)"),
            format_lazy(
                _("0–100; more than {percent}% needs a radiologist's review."),
                percent=f"{t.canal_compromise_max_pct:g}",
            ),
        ),
        Question(
            "epidural_extension",
            _("Does the tumour extend into the epidural space?"),
            _("Asked for metastases, myeloma and haemangiomas."),
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
