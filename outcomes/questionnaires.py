"""Patient questionnaires as data: questions, answer options, and which answers need a call.

Only questions free to use are built in. A clinic that holds a licence for an instrument
(EQ-5D, ODI, …) adds a `Questionnaire` to `QUESTIONNAIRES` with its own key and version; the
form, the stored answers and the staff view all read the definition, nothing else changes.
Answers are stored by question key with the questionnaire's key and version, so old answers
stay readable when a definition changes.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a lazy translation or a str


class Kind(StrEnum):
    NRS = "nrs"  # 0-10, with anchors at both ends
    CHOICE = "choice"  # one of the options
    TEXT = "text"  # free text, optional


@dataclass(frozen=True)
class Option:
    value: str
    label: "StrOrPromise"


@dataclass(frozen=True)
class Question:
    key: str
    kind: Kind
    text: "StrOrPromise"
    help_text: "StrOrPromise" = ""
    options: tuple[Option, ...] = ()
    # NRS anchors: what 0 and 10 mean.
    low_anchor: "StrOrPromise" = ""
    high_anchor: "StrOrPromise" = ""
    required: bool = True
    # Answers that mean the clinic must call the patient (the phone number shows at once).
    needs_call_values: frozenset[str] = frozenset()
    # Answers that report a possible complication (highlighted when the clinician recorded none).
    complication_values: frozenset[str] = frozenset()
    max_length: int = 1000
    # The clinic's short name for the answer, on staff pages (e.g. "wound problem").
    staff_label: "StrOrPromise" = ""

    def label_of(self, value: str) -> str:
        for option in self.options:
            if option.value == value:
                return str(option.label)
        return value


@dataclass(frozen=True)
class Questionnaire:
    key: str
    version: int
    title: "StrOrPromise"
    questions: tuple[Question, ...] = field(default_factory=tuple)

    def question(self, key: str) -> Question:
        return next(question for question in self.questions if question.key == key)

    def needs_call(self, answers: dict[str, str]) -> bool:
        return any(answers.get(q.key) in q.needs_call_values for q in self.questions)

    def reported_complications(self, answers: dict[str, str]) -> list[str]:
        """The questions answered with a possible complication, as their texts."""
        return [str(q.text) for q in self.questions if answers.get(q.key) in q.complication_values]


YES = Option("yes", pgettext_lazy("answer", "Yes"))
NO = Option("no", pgettext_lazy("answer", "No"))
YES_NO = (YES, NO)

FOLLOW_UP_V1 = Questionnaire(
    key="vpselect_follow_up",
    version=1,
    title=_("Your follow-up questionnaire"),
    questions=(
        Question(
            "pain_now",
            Kind.NRS,
            _("How bad is the pain in the treated part of your back right now?"),
            low_anchor=_("0 = no pain"),
            high_anchor=_("10 = worst pain you can imagine"),
        ),
        Question(
            "pain_worst_week",
            Kind.NRS,
            _("How bad was that pain at its worst in the last 7 days?"),
            low_anchor=_("0 = no pain"),
            high_anchor=_("10 = worst pain you can imagine"),
        ),
        Question(
            "pain_medicine",
            Kind.CHOICE,
            _("Which pain medicines are you taking for your back?"),
            options=(
                Option("none", _("None")),
                Option(
                    "non_opioid", _("Ordinary painkillers (for example paracetamol, ibuprofen)")
                ),
                Option("opioid", _("Strong painkillers (for example tramadol, codeine, morphine)")),
            ),
        ),
        Question(
            "walking",
            Kind.CHOICE,
            _("How do you walk?"),
            options=(
                Option("independent", _("On my own, without help")),
                Option("with_aid", _("With a stick, a walker or another person")),
                Option("bedridden", _("I cannot walk; I stay in bed")),
            ),
        ),
        Question(
            "usual_activities",
            Kind.CHOICE,
            _("Can you do your usual activities (housework, shopping, work, hobbies)?"),
            options=(
                Option("no_problems", _("Yes, without problems")),
                Option("some_problems", _("Yes, but with some problems")),
                Option("unable", _("No, I cannot do them")),
            ),
        ),
        Question(
            "back_to_usual_activities",
            Kind.CHOICE,
            _("Are you back to the activities you did before your back pain began?"),
            options=YES_NO,
        ),
        Question(
            "new_back_pain",
            Kind.CHOICE,
            _("Since the procedure, have you had a new back pain, different from before?"),
            options=YES_NO,
        ),
        Question(
            "fall",
            Kind.CHOICE,
            _("Since the procedure, have you had a fall?"),
            options=YES_NO,
        ),
        Question(
            "fever",
            Kind.CHOICE,
            _("Do you have a fever (38 °C or more)?"),
            options=YES_NO,
            staff_label=_("fever ≥ 38 °C"),
            needs_call_values=frozenset({"yes"}),
            complication_values=frozenset({"yes"}),
        ),
        Question(
            "wound_problem",
            Kind.CHOICE,
            _("Is the skin where the needle went in red, swollen, hot or leaking?"),
            options=YES_NO,
            staff_label=_("wound problem (red, swollen, hot or leaking)"),
            needs_call_values=frozenset({"yes"}),
            complication_values=frozenset({"yes"}),
        ),
        Question(
            "new_weakness_or_numbness",
            Kind.CHOICE,
            _("Do you have new weakness or numbness in your legs, or new trouble passing urine?"),
            options=YES_NO,
            staff_label=_("new leg weakness or numbness, or urinary trouble"),
            needs_call_values=frozenset({"yes"}),
            complication_values=frozenset({"yes"}),
        ),
        Question(
            "global_change",
            Kind.CHOICE,
            _("Since the procedure, how would you describe the change in your back pain?"),
            # The 7-point Patient Global Impression of Change, best first.
            options=(
                Option("7", _("Very much better")),
                Option("6", _("Much better")),
                Option("5", _("A little better")),
                Option("4", _("No change")),
                Option("3", _("A little worse")),
                Option("2", _("Much worse")),
                Option("1", _("Very much worse")),
            ),
        ),
        Question(
            "comment",
            Kind.TEXT,
            _("Anything else you would like to tell the clinic? (optional)"),
            required=False,
        ),
    ),
)

QUESTIONNAIRES: dict[tuple[str, int], Questionnaire] = {
    (FOLLOW_UP_V1.key, FOLLOW_UP_V1.version): FOLLOW_UP_V1,
}
DEFAULT_QUESTIONNAIRE = FOLLOW_UP_V1


def questionnaire(key: str, version: int) -> Questionnaire:
    return QUESTIONNAIRES[(key, version)]
