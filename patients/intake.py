"""The intake of a referral: its answers and target levels, typed, read and validated together.

The intake is one `IntakeForm`: a form for the referral-level answers and a formset of target
levels, validated together. It knows which answers are valid (a draft saves those), how to
build unsaved model instances for the live evaluation, and how to put the engine's field
errors (`levels[0].pain_nrs`) back next to the question they belong to.
"""

import dataclasses
import functools
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME, BaseFormSet, formset_factory
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from eligibility.conf import get_thresholds
from eligibility.engine import FieldError, Thresholds

from .entry import DateEntry, EntryError, parse_decimal, parse_int
from .models import LEVEL_LABELS, Allergy, Etiology, Patient, RadicularCause, Referral, TargetLevel
from .questions import (
    LEVEL_BRANCHES,
    REFERRAL_BRANCHES,
    level_questions,
    referral_questions,
    unmet_condition,
)
from .services import LevelAnswers
from .vocabulary import answer_text

# Error messages (tests import these).
NRS_RANGE = _("Enter a whole number from 0 to 10.")
PERCENT_RANGE = _("Enter a percentage from 0 to 100 %, with at most one decimal (for example 25).")
INR_RANGE = _(
    "Enter the INR as a number above 0 and at most 20, with at most two decimals (for example 1.4)."
)
PLATELETS_RANGE = _(
    "Enter the platelet count in ×10⁹/L, from 0 to 3000, with at most one decimal "
    "(for example 45.5)."
)
PLATELETS_PER_MICROLITRE = _(
    "This looks like a count per µL: enter ×10⁹/L, e.g. 45 (for 45000 per µL)."
)
INR_UNUSUAL = _(
    "An INR above 6 is unusual: check the value. If it is right, it is a contraindication."
)
PLATELETS_UNUSUAL = _(
    "A platelet count above 1000 ×10⁹/L is unusual: check the value and its unit (×10⁹/L)."
)
ASSESSED_AFTER_TODAY = _("The assessment date cannot be after today.")
ASSESSED_BEFORE_FRACTURE = _(
    "The assessment date is before the fracture date of {level} ({fracture_date}): "
    "check both dates."
)
# Consistency warnings: never blocking, shown next to the questions they concern.
PAIN_CONTROLLED_BUT_SEVERE = _(
    "Pain is answered as controlled by therapy, but {level} has pain {nrs}/10: check both answers."
)
NO_COAGULOPATHY_BUT_INR = _(
    "No coagulation disorder is answered, but the INR is {inr} (above {limit}): check both answers."
)
NO_COAGULOPATHY_BUT_PLATELETS = _(
    "No coagulation disorder is answered, but platelets are {platelets} ×10⁹/L "
    "(below {limit}): check both answers."
)
# Values possible but rare enough to be checked (a typing slip or a wrong unit).
INR_PLAUSIBLE_MAX = Decimal(6)
PLATELETS_PLAUSIBLE_MAX = Decimal(1000)
DATE_IN_FUTURE = _("This date is in the future.")
DATE_BEFORE_BIRTH = _("This date is before the patient's date of birth ({date_of_birth}).")
LEVEL_REQUIRED = _("Choose the vertebral level.")
LEVEL_UNKNOWN = _("Choose a level from C1–C7, T1–T12, L1–L5 or S1–S5.")
LEVEL_DUPLICATE = _("{level} is already listed above; list each level once.")
LEVEL_ROW_UNKNOWN = _("This level row is not part of the referral any more; reload the page.")
ALLERGIES_NONE_TICKED = _("Tick the allergies, or answer “None known”.")
ALLERGIES_CONTRADICTION = _("Allergies are ticked: answer “Yes, allergic to” or untick them.")
FRACTURE_DATE_NEEDED = _(
    "Give the fracture date: without it an old healed fracture (more than a year) cannot be "
    "judged, and the recommendation stays incomplete."
)

TRI_STATE_CHOICES = (("yes", _("Yes")), ("no", _("No")), ("unknown", _("Unknown")))
_TRI_STATE_VALUES = {"yes": True, "no": False, "unknown": None}
ALLERGY_STATUS_CHOICES = (
    ("unknown", _("Not asked / unknown")),
    ("none", _("None known")),
    ("some", _("Yes, allergic to:")),
)
MAX_LEVELS = len(LEVEL_LABELS)


def _tri_state(value) -> bool | None:
    if value is None or isinstance(value, bool):  # an initial value, already a model value
        return value
    if value not in _TRI_STATE_VALUES:
        raise ValueError(value)  # TypedChoiceField turns this into "Select a valid choice."
    return _TRI_STATE_VALUES[value]


class TriStateField(forms.TypedChoiceField):
    """A yes / no / unknown question; "unknown" (or nothing posted) is None, never "no"."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs) -> None:
        super().__init__(
            choices=TRI_STATE_CHOICES,
            coerce=_tri_state,
            required=False,
            empty_value=None,
            **kwargs,
        )

    def prepare_value(self, value):
        if value is True:
            return "yes"
        if value is False:
            return "no"
        if value is None or value == "":
            return "unknown"
        return value


def clinic_dates() -> DateEntry:
    """How the clinic types dates (settings.VPSELECT_DATE_INPUT_FORMAT); ISO is accepted too."""
    return DateEntry(settings.VPSELECT_DATE_INPUT_FORMAT)


_date_placeholder = lazy(lambda: clinic_dates().placeholder, str)


class NumberTextField(forms.Field):
    """A number typed as text and read exactly as typed (point or comma), or refused.

    `<input type=number>` reads "1,4" as 14 in some browser locales: a text input with
    `inputmode` gives the same keypad without that. Limits are for impossible values only;
    `above_max_message` can say more than `range_message` for a too large value.
    """

    widget = forms.TextInput

    def __init__(
        self,
        *,
        places: int,
        min_value: Decimal,
        max_value: Decimal,
        range_message,
        min_exclusive: bool = False,
        above_max_message=None,
        example: str = "1.4",
        **kwargs,
    ) -> None:
        self.places = places
        self.min_value = min_value
        self.max_value = max_value
        self.min_exclusive = min_exclusive
        self.range_message = range_message
        self.above_max_message = above_max_message or range_message
        self.example = example
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "inputmode": "decimal" if self.places else "numeric",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        )
        return attrs

    def to_python(self, value):
        if value is None or isinstance(value, Decimal | int):
            return value
        try:
            if self.places:
                return parse_decimal(str(value), places=self.places, example=self.example)
            return parse_int(str(value))
        except EntryError as error:
            if error.code == "thousands":
                raise ValidationError(error.message, code="thousands") from None
            raise ValidationError(self.range_message, code="invalid") from None

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        if value > self.max_value:
            raise ValidationError(self.above_max_message, code="max_value")
        if value < self.min_value or (self.min_exclusive and value == self.min_value):
            raise ValidationError(self.range_message, code="min_value")

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            # A stored 1.40 shows as typed, 1.4; a stored 210.0 as 210.
            return format(value.normalize(), "f")
        return value


class DateTextField(forms.Field):
    """A date typed in the clinic's format (the placeholder) or as YYYY-MM-DD.

    `<input type=date>` shows the browser's locale order (mm/dd/yyyy in an American browser);
    a text input reads the same whatever the browser's language.
    """

    widget = forms.TextInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        # No numeric keypad: a phone's lacks the "/" of dd/mm/yyyy.
        # Lazy: fields are built once, at import; the placeholder is read in each reader's language.
        attrs.update({"placeholder": _date_placeholder(), "autocomplete": "off"})
        return attrs

    def to_python(self, value):
        if value is None or isinstance(value, date):
            return value
        try:
            return clinic_dates().parse(str(value))
        except EntryError as error:
            raise ValidationError(error.message, code=error.code) from None

    def prepare_value(self, value):
        if isinstance(value, date):
            return clinic_dates().format(value)
        return value


def date_in_words(value: date) -> str:
    """A date as the clinic reads it in words (the locale's DATE_FORMAT: "2 Oct 2026")."""
    return date_format(value, "DATE_FORMAT")


def fracture_age_text(fracture_date: date, assessed_on: date) -> str:
    """ "2 Oct 2026 — 63 days before assessment" (or "on the assessment date")."""
    days = (assessed_on - fracture_date).days
    if days == 0:
        return _("{date} — on the assessment date").format(date=date_in_words(fracture_date))
    if days < 0:
        return ngettext(
            "{date} — {days} day after the assessment",
            "{date} — {days} days after the assessment",
            -days,
        ).format(date=date_in_words(fracture_date), days=-days)
    return ngettext(
        "{date} — {days} day before assessment", "{date} — {days} days before assessment", days
    ).format(date=date_in_words(fracture_date), days=days)


@dataclass
class FieldNote:
    """What is shown under a question besides its errors: how the answer was read, advice."""

    echo: str = ""
    warnings: list[str] = dataclasses.field(default_factory=list)


if TYPE_CHECKING:
    from django.forms.utils import ErrorDict
    from django_stubs_ext import StrOrPromise

    class _FormBase(forms.BaseForm):
        """To mypy, the mixins below are the forms they are mixed into."""

        _errors: ErrorDict | None  # set by full_clean; private, so not in django-stubs

else:
    _FormBase = object


class BootstrapFormMixin(_FormBase):
    """Bootstrap 5 classes on every widget, and `is-invalid` on the ones with errors."""

    def _style_widgets(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if self.is_bound and self._errors and name in self._errors:
                css += " is-invalid"
            widget.attrs["class"] = css
            if isinstance(field, NumberTextField | DateTextField):
                # Errors, the value as read and advice are announced with the input.
                bound = self[name]
                described = [f"feedback_{bound.auto_id}"]
                if field.help_text:
                    described.append(f"{bound.auto_id}_helptext")
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self) -> None:
        super().full_clean()
        self._style_widgets()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        self._style_widgets()


class BranchingMixin(_FormBase):
    """Questions asked only when the answers they follow let them matter
    (patients.questions): the server decides what shows and clears what is hidden."""

    branches: dict[str, dict[str, frozenset[str]]] = {}
    per_level = False

    def _posted(self, name: str) -> str:
        # The answer as posted, or as an unbound form would post its initial value.
        value = self[name].value()
        field = self.fields[name]
        if isinstance(field, TriStateField):
            return str(field.prepare_value(value))
        return str(value or "")

    def waits_on(self, name: str) -> str | None:
        """The question a hidden question follows, or None when it is asked."""
        return unmet_condition(name, self._posted, per_level=self.per_level)

    def asks(self, name: str) -> bool:
        """Whether the question is asked given the answers now on the form."""
        return self.waits_on(name) is None

    def clear_not_asked(self, cleaned: dict) -> None:
        """A hidden question's answer is no answer: cleared, its errors dropped."""
        for name in self.branches:
            if not self.asks(name):
                cleaned[name] = self.fields[name].clean("")
                self.errors.pop(name, None)

    def branching(self) -> dict[str, dict]:
        """Per conditional question: when it is asked (JSON of posted names and values, read
        by static/js/intake.js) and whether it shows now."""
        add_prefix = self.add_prefix
        return {
            name: {
                "when": json.dumps(
                    {add_prefix(lead): sorted(values) for lead, values in branch.items()},
                    separators=(",", ":"),
                ),
                "shown": self.asks(name),
            }
            for name, branch in self.branches.items()
        }


def _copied_field(field: forms.Field) -> forms.Field:
    """A copy of a declared field for one form, as `Field.__deepcopy__` makes it, except that
    the (normalized, never changed in place) choices are shared instead of deep-copied."""
    copied = object.__new__(type(field))
    copied.__dict__ = field.__dict__.copy()
    widget = field.widget
    copied_widget = object.__new__(type(widget))
    copied_widget.__dict__ = widget.__dict__.copy()
    copied_widget.attrs = widget.attrs.copy()
    copied.widget = copied_widget
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    return copied


class _DeclaredFields(dict):
    """A form class's `base_fields`, which each form copies (`copy.deepcopy`) into its own
    `fields`: every field and widget is copied, with its attributes, error messages and
    validators, but the choice lists are shared. Deep-copying the choices was most of the
    cost of building an intake form (30 levels, etiologies, yes/no/unknown per question)."""

    def __deepcopy__(self, memo) -> dict:
        return {name: _copied_field(field) for name, field in self.items()}


class ReferralAnswersForm(BranchingMixin, BootstrapFormMixin, forms.Form):
    """The referral-level answers of the case, in the clinic's order."""

    branches = REFERRAL_BRANCHES

    pain_controlled_by_medical_therapy = TriStateField()
    coagulopathy = TriStateField()
    coagulopathy_corrected = TriStateField()
    assessed_on = DateTextField(
        label=_("Assessment date"),
        help_text=_(
            "The day the patient was assessed (usually the consultation). Fracture ages are "
            "counted to this date; it cannot be after today."
        ),
    )
    inr = NumberTextField(
        places=2,
        min_value=Decimal(0),
        min_exclusive=True,
        max_value=Decimal(20),
        range_message=INR_RANGE,
    )
    platelets = NumberTextField(
        places=1,
        min_value=Decimal(0),
        max_value=Decimal(3000),
        range_message=PLATELETS_RANGE,
        above_max_message=PLATELETS_PER_MICROLITRE,
        example="45.5",
        # The unit hint where the number is typed: a count per µL (45000) is the usual slip.
        widget=forms.TextInput(attrs={"placeholder": _("×10⁹/L, e.g. 45 (not 45000)")}),
    )
    systemic_infection = TriStateField()
    local_infection = TriStateField()
    allergy_status = forms.ChoiceField(
        choices=ALLERGY_STATUS_CHOICES, required=False, widget=forms.RadioSelect
    )
    allergies = forms.MultipleChoiceField(
        choices=Allergy.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Allergic to"),
    )
    radicular_pain = TriStateField()
    radicular_cause = forms.ChoiceField(
        required=False, choices=[("", _("Unknown")), *RadicularCause.choices]
    )

    def __init__(self, *args, today: date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # What is shown under a question besides its errors, by field name (IntakeForm fills it).
        self.notes: dict[str, FieldNote] = {}
        for name, (label, help_text) in _referral_labels(get_thresholds()).items():
            field = self.fields[name]
            field.label = label
            field.help_text = help_text
        self._style_widgets()

    def clean_assessed_on(self) -> date | None:
        assessed_on = self.cleaned_data["assessed_on"]
        if assessed_on is not None and self.today is not None and assessed_on > self.today:
            raise ValidationError(ASSESSED_AFTER_TODAY, code="future")
        return assessed_on

    def clean_allergy_status(self) -> str:
        return self.cleaned_data["allergy_status"] or "unknown"

    def clean_allergies(self) -> list[str]:
        ticked = set(self.cleaned_data["allergies"])
        # Once each, in the vocabulary's order: the engine refuses a repeated allergy.
        return [allergy for allergy in Allergy.values if allergy in ticked]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        status, ticked = cleaned.get("allergy_status"), cleaned.get("allergies")
        if status == "some" and ticked == []:
            self.add_error("allergies", ALLERGIES_NONE_TICKED)
        elif status in {"unknown", "none"} and ticked:
            self.add_error("allergies", ALLERGIES_CONTRADICTION)
        self.clear_not_asked(cleaned)
        return cleaned

    def answers(self) -> dict:
        """The valid answers as model field values (an invalid answer is left out)."""
        cleaned = self.cleaned_data
        answers = {
            name: cleaned[name]
            for name in referral_questions()
            if name != "allergies" and name in cleaned
        }
        if "assessed_on" in cleaned:
            answers["assessed_on"] = cleaned["assessed_on"]
        if "allergy_status" in cleaned and "allergies" in cleaned:
            answers["allergies"] = {
                "unknown": None,
                "none": [],
                "some": cleaned["allergies"],
            }[cleaned["allergy_status"]]
        return answers


@functools.cache
def _referral_labels(thresholds: Thresholds) -> "dict[str, tuple[StrOrPromise, StrOrPromise]]":
    """Field name → (label, help text) of the answers form, worded with these thresholds."""
    questions = referral_questions()
    labels = {
        name: (question.label, question.help_text)
        for name, question in questions.items()
        if name in ReferralAnswersForm.base_fields
    }
    labels["allergy_status"] = labels["allergies"]
    labels["allergies"] = (questions["allergies"].label, "")
    return labels


def referral_initial(referral: Referral | None, *, today: date | None = None) -> dict:
    """The answers form's initial values from a stored referral; assessed today by default."""
    if referral is None:
        return {"allergy_status": "unknown", "assessed_on": today}
    initial = {name: getattr(referral, name) for name in referral_questions()}
    initial["assessed_on"] = referral.assessed_on or today
    allergies = referral.allergies
    initial["allergy_status"] = "unknown" if allergies is None else "some" if allergies else "none"
    initial["allergies"] = list(allergies or [])
    return initial


class TargetLevelForm(BranchingMixin, BootstrapFormMixin, forms.Form):
    """One target level's answers; dates are checked against today and the date of birth."""

    branches = LEVEL_BRANCHES
    per_level = True

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    level = forms.ChoiceField(
        choices=[("", _("Choose…")), *((label, label) for label in LEVEL_LABELS)],
        error_messages={"required": LEVEL_REQUIRED, "invalid_choice": LEVEL_UNKNOWN},
    )
    etiology = forms.ChoiceField(required=False, choices=[("", _("Unknown")), *Etiology.choices])
    pain_nrs = NumberTextField(
        places=0, min_value=Decimal(0), max_value=Decimal(10), range_message=NRS_RANGE, example="7"
    )
    fracture = TriStateField()
    fracture_date = DateTextField()
    imaging_acute = TriStateField()
    high_fracture_risk = TriStateField()
    osteomyelitis = TriStateField()
    canal_compromise_pct = NumberTextField(
        places=1,
        min_value=Decimal(0),
        max_value=Decimal(100),
        range_message=PERCENT_RANGE,
        example="25",
    )
    epidural_extension = TriStateField()

    def __init__(self, *args, today: date, date_of_birth: date | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.date_of_birth = date_of_birth
        # Advice that does not block saving, by field name.
        self.warnings: dict[str, StrOrPromise] = {}
        # What is shown under a question besides its errors, by field name (IntakeForm fills it).
        self.notes: dict[str, FieldNote] = {}
        for name, (label, help_text) in _level_labels(get_thresholds()).items():
            field = self.fields[name]
            field.label = label
            field.help_text = help_text
        self._style_widgets()

    def clean_fracture_date(self) -> date | None:
        fracture_date = self.cleaned_data["fracture_date"]
        if fracture_date is None:
            return None
        if fracture_date > self.today:
            raise ValidationError(DATE_IN_FUTURE, code="future")
        if self.date_of_birth is not None and fracture_date < self.date_of_birth:
            raise ValidationError(
                DATE_BEFORE_BIRTH.format(date_of_birth=date_in_words(self.date_of_birth)),
                code="before_birth",
            )
        return fracture_date

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        self.clear_not_asked(cleaned)
        if (
            cleaned.get("fracture") is True
            and cleaned.get("imaging_acute") is False
            and cleaned.get("fracture_date") is None
            and "fracture_date" not in self.errors
        ):
            self.warnings["fracture_date"] = FRACTURE_DATE_NEEDED
        return cleaned

    def answers(self) -> dict:
        """The valid answers as model field values (an invalid answer is left out)."""
        answers = {
            name: self.cleaned_data[name] for name in level_questions() if name in self.cleaned_data
        }
        if "etiology" in answers:
            answers["etiology"] = answers["etiology"] or ""
        return answers


@functools.cache
def _level_labels(thresholds: Thresholds) -> "dict[str, tuple[StrOrPromise, StrOrPromise]]":
    """Field name → (label, help text) of a level form, worded with these thresholds."""
    return {
        name: (question.label, question.help_text)
        for name, question in level_questions().items()
        if name in TargetLevelForm.base_fields
    }


def level_initial(target_level: TargetLevel) -> dict:
    """A level form's initial values from a stored target level."""
    initial = {name: getattr(target_level, name) for name in level_questions()}
    initial["id"] = target_level.pk
    return initial


class BaseLevelFormSet(BaseFormSet):
    """The target levels: each listed once, rows of this referral only."""

    def __init__(self, *args, known_ids: frozenset[int] = frozenset(), **kwargs) -> None:
        self.known_ids = known_ids
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None:
            # Every row shown must name its level, even a row added and left untouched.
            kwargs["empty_permitted"] = False
        return kwargs

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if DELETION_FIELD_NAME in form.fields:
            form.fields[DELETION_FIELD_NAME].label = _("Remove this level")
            form.fields[DELETION_FIELD_NAME].widget.attrs["class"] = "form-check-input"

    def kept_forms(self) -> list[TargetLevelForm]:
        """The rows not marked for removal, in order."""
        if not self.is_bound:
            return list(self.forms)
        kept = []
        for form in self.forms:
            # Reading `errors` validates the form once (never again: later errors stay), which
            # fills the cleaned_data that says whether the row is removed.
            if form.errors is not None and not form.cleaned_data.get(DELETION_FIELD_NAME, False):
                kept.append(form)
        return kept

    def clean(self) -> None:
        seen_levels: set[str] = set()
        seen_ids: set[int] = set()
        for form in self.kept_forms():
            if not hasattr(form, "cleaned_data"):
                continue
            row_id = form.cleaned_data.get("id")
            if row_id is not None:
                if row_id not in self.known_ids or row_id in seen_ids:
                    form.add_error("level", LEVEL_ROW_UNKNOWN)
                    form.cleaned_data["id"] = None
                    continue
                seen_ids.add(row_id)
            label = form.cleaned_data.get("level")
            if label is None:
                continue
            if label in seen_levels:
                form.add_error("level", LEVEL_DUPLICATE.format(level=label))
            seen_levels.add(label)


ReferralAnswersForm.base_fields = _DeclaredFields(ReferralAnswersForm.base_fields)
TargetLevelForm.base_fields = _DeclaredFields(TargetLevelForm.base_fields)

# formset_factory makes a subclass of the formset it is given (django-stubs says BaseFormSet).
LevelFormSet = cast(
    "type[BaseLevelFormSet]",
    formset_factory(
        TargetLevelForm,
        formset=BaseLevelFormSet,
        extra=0,
        can_delete=True,
        max_num=MAX_LEVELS,
        validate_max=True,
        absolute_max=MAX_LEVELS,
    ),
)


@dataclass(frozen=True, slots=True)
class Problem:
    """An answer that is not valid: where it is, what it is called, and what is wrong."""

    href: str
    label: str
    message: str


def _anchor(bound_field: forms.BoundField) -> str:
    return f"#div_{bound_field.auto_id}"


class IntakeForm:
    """The whole intake: the referral's answers and its target levels, validated together."""

    prefix = "levels"

    def __init__(
        self,
        data=None,
        *,
        patient: Patient,
        referral: Referral | None = None,
        today: date,
        stored_levels: list[TargetLevel] | None = None,
    ) -> None:
        self.patient = patient
        self.referral = referral
        self.today = today
        self._checked = False
        if stored_levels is None:
            stored_levels = list(referral.levels.all()) if referral is not None else []
        self.stored_levels = stored_levels
        self.answers_form = ReferralAnswersForm(
            data, initial=referral_initial(referral, today=today), today=today
        )
        self.level_formset = LevelFormSet(
            data,
            prefix=self.prefix,
            # Initial values only fill an unbound form: posted rows carry their own ids.
            initial=None if data is not None else [level_initial(level) for level in stored_levels],
            form_kwargs={"today": today, "date_of_birth": patient.date_of_birth},
            known_ids=frozenset(level.pk for level in stored_levels),
        )
        if data is None:
            self._annotate()

    @property
    def is_bound(self) -> bool:
        return self.answers_form.is_bound

    def is_valid(self) -> bool:
        # Both halves are always validated so every error shows at once.
        answers_valid = self.answers_form.is_valid()
        levels_valid = self.level_formset.is_valid()
        if not self._checked:
            self._checked = True
            self._check_assessment_date()
            self._annotate()
            answers_valid = answers_valid and not self.answers_form.errors
        return answers_valid and levels_valid

    def assessed_on(self) -> date:
        """The assessment date answered (valid), or today when there is none."""
        if self.is_bound:
            value = getattr(self.answers_form, "cleaned_data", {}).get("assessed_on")
        else:
            value = self.answers_form.initial.get("assessed_on")
        return value or self.today

    def _check_assessment_date(self) -> None:
        cleaned = self.answers_form.cleaned_data
        assessed_on = cleaned.get("assessed_on")
        if assessed_on is None:
            return
        for form in self.case_level_forms():
            fracture_date = getattr(form, "cleaned_data", {}).get("fracture_date")
            if fracture_date is not None and fracture_date > assessed_on:
                self.answers_form.add_error(
                    "assessed_on",
                    str(ASSESSED_BEFORE_FRACTURE).format(
                        level=form.cleaned_data.get("level", ""),
                        fracture_date=date_in_words(fracture_date),
                    ),
                )
                return

    def _values(self, form) -> dict:
        """The form's answers to read notes from: valid posted answers, or the initial ones."""
        if form.is_bound:
            return getattr(form, "cleaned_data", {})
        return form.initial

    def _annotate(self) -> None:
        """Fill each form's notes: how numbers and dates were read, and consistency advice."""
        answers = self._values(self.answers_form)
        notes = self.answers_form.notes
        notes.clear()
        t = get_thresholds()

        def note(form, name: str) -> FieldNote:
            return form.notes.setdefault(name, FieldNote())

        inr, platelets = answers.get("inr"), answers.get("platelets")
        if inr is not None:
            note(self.answers_form, "inr").echo = _("Read as INR {inr}").format(
                inr=answer_text("inr", inr)
            )
            if inr > INR_PLAUSIBLE_MAX:
                note(self.answers_form, "inr").warnings.append(str(INR_UNUSUAL))
        if platelets is not None:
            note(self.answers_form, "platelets").echo = _("Read as {platelets} ×10⁹/L").format(
                platelets=answer_text("platelets", platelets)
            )
            if platelets > PLATELETS_PLAUSIBLE_MAX:
                note(self.answers_form, "platelets").warnings.append(str(PLATELETS_UNUSUAL))
        assessed_on = answers.get("assessed_on")
        if assessed_on is not None:
            echo = _("Read as {date}").format(date=date_in_words(assessed_on))
            if assessed_on == self.today:
                echo = _("Read as {date} (today)").format(date=date_in_words(assessed_on))
            note(self.answers_form, "assessed_on").echo = echo
        if answers.get("coagulopathy") is False:
            if inr is not None and inr > Decimal(str(t.inr_max)):
                message = str(NO_COAGULOPATHY_BUT_INR).format(
                    inr=answer_text("inr", inr), limit=answer_text("inr", t.inr_max)
                )
                note(self.answers_form, "coagulopathy").warnings.append(message)
                note(self.answers_form, "inr").warnings.append(message)
            if platelets is not None and platelets < Decimal(str(t.platelets_min)):
                message = str(NO_COAGULOPATHY_BUT_PLATELETS).format(
                    platelets=answer_text("platelets", platelets),
                    limit=answer_text("platelets", t.platelets_min),
                )
                note(self.answers_form, "coagulopathy").warnings.append(message)
                note(self.answers_form, "platelets").warnings.append(message)

        assessed = self.assessed_on()
        for form in self.level_formset.forms:
            form.notes.clear()
            values = self._values(form)
            for name, message in form.warnings.items():
                note(form, name).warnings.append(str(message))
            nrs = values.get("pain_nrs")
            if nrs is not None:
                note(form, "pain_nrs").echo = _("Read as {nrs} out of 10").format(nrs=nrs)
            pct = values.get("canal_compromise_pct")
            if pct is not None:
                note(form, "canal_compromise_pct").echo = _("Read as {pct} %").format(
                    pct=answer_text("canal_compromise_pct", pct)
                )
            fracture_date = values.get("fracture_date")
            if fracture_date is not None:
                note(form, "fracture_date").echo = _("Read as {text}").format(
                    text=fracture_age_text(fracture_date, assessed)
                )
            if (
                answers.get("pain_controlled_by_medical_therapy") is True
                and nrs is not None
                and nrs >= t.severe_pain_nrs
                and form in self.case_level_forms()
            ):
                message = str(PAIN_CONTROLLED_BUT_SEVERE).format(
                    level=values.get("level") or _("this level"), nrs=nrs
                )
                note(self.answers_form, "pain_controlled_by_medical_therapy").warnings.append(
                    message
                )
                note(form, "pain_nrs").warnings.append(message)

    def feedback_fields(self) -> list[forms.BoundField]:
        """Every question with a feedback block (errors, how it was read, advice) on the page:
        the live panel's response replaces each, out of band."""
        fields = [
            self.answers_form[name]
            for name in self.answers_form.fields
            if name not in {"allergy_status", "allergies"}
        ]
        for form in self.level_formset.forms:
            fields.extend(
                form[name] for name in form.fields if name not in {"id", DELETION_FIELD_NAME}
            )
        return fields

    def level_forms(self) -> list[TargetLevelForm]:
        """The level rows to keep (not marked for removal), in order."""
        if not self.level_formset.is_bound:
            return list(self.level_formset.forms)
        return self.level_formset.kept_forms()

    def case_level_forms(self) -> list[TargetLevelForm]:
        """The rows that become levels of the case: kept rows with a valid level label."""
        return [
            form
            for form in self.level_forms()
            if not form.is_bound or "level" in getattr(form, "cleaned_data", {})
        ]

    def referral_answers(self) -> dict:
        """The valid referral-level answers as model values."""
        return self.answers_form.answers()

    def level_rows(self) -> tuple[list[LevelAnswers], list[TargetLevelForm]]:
        """Rows to store, with their valid answers, and the form of each row (same order).

        A new row without a valid level cannot be stored and is left out; a stored row with
        an invalid level keeps its stored level.
        """
        rows, forms_of_rows = [], []
        for form in self.level_forms():
            cleaned = getattr(form, "cleaned_data", {})
            row_id = cleaned.get("id")
            if row_id is None and "level" not in cleaned:
                continue
            rows.append(LevelAnswers(id=row_id, answers=form.answers()))
            forms_of_rows.append(form)
        return rows, forms_of_rows

    def unsaved_referral(self, *, physician) -> tuple[Referral, list[TargetLevel]]:
        """Unsaved model instances holding the valid answers (an invalid one is unknown).

        The live evaluation gives these to `patients.cases.referral_case`, the mapping the
        submission uses, so both evaluate the same case.
        """
        answers = self.referral_answers()
        answers.setdefault("assessed_on", None)
        referral = Referral(patient=self.patient, physician=physician, **answers)
        levels = [
            TargetLevel(position=position, **form.answers())
            for position, form in enumerate(self.case_level_forms())
        ]
        return referral, levels

    def preview_instances(self, *, physician) -> tuple[Referral, list[TargetLevel]]:
        """What the live panel evaluates: the posted valid answers, or what is stored."""
        if self.is_bound:
            return self.unsaved_referral(physician=physician)
        referral = self.referral or Referral(patient=self.patient, physician=physician)
        return referral, list(self.stored_levels)

    def case_error_problems(self, errors: list[FieldError]) -> list[Problem]:
        """The engine's field errors as problems linked to their questions (nothing changed)."""
        problems = []
        case_level_forms = self.case_level_forms()
        for error in errors:
            form, field = self._form_field_for_path(error.field, case_level_forms)
            if form is not None and field is not None:
                problems.append(
                    Problem(_anchor(form[field]), str(form[field].label), error.message)
                )
            elif error.field.startswith("levels"):
                problems.append(Problem("#target-levels", str(_("Target levels")), error.message))
            else:
                problems.append(Problem("#intake-top", str(_("Referral")), error.message))
        return problems

    def add_case_errors(
        self, errors: list[FieldError], case_level_forms: list[TargetLevelForm]
    ) -> None:
        """Put the engine's field errors next to the questions they name."""
        for error in errors:
            if error.field == "levels":
                self.level_formset.non_form_errors().append(error.message)
                continue
            if error.field.startswith("patient."):
                self.answers_form.add_error(
                    None, _("Patient record: {message}").format(message=error.message)
                )
                continue
            form, field = self._form_field_for_path(error.field, case_level_forms)
            if form is None:
                self.answers_form.add_error(None, error.message)
            elif field is None:
                form.add_error(None, error.message)
            else:
                form.add_error(field, error.message)

    def _form_field_for_path(self, path: str, case_level_forms: list[TargetLevelForm]):
        if path.startswith("levels[") and "]" in path:
            index_text, _, rest = path[len("levels[") :].partition("]")
            name = rest.removeprefix(".")
            if index_text.isdigit() and int(index_text) < len(case_level_forms):
                form = case_level_forms[int(index_text)]
                return form, name if name in form.fields else None
            return None, None
        if path in self.answers_form.fields:
            return self.answers_form, path
        return None, None

    def field_links(self) -> dict[str, str]:
        """Case path → anchor of its question, for links from the findings panel."""
        # A hidden question links to the question it follows.
        answers = self.answers_form
        links = {
            name: _anchor(answers[answers.waits_on(name) or name])
            for name in referral_questions()
            if name in answers.fields
        }
        links["allergies"] = _anchor(answers["allergy_status"])
        for index, form in enumerate(self.case_level_forms()):
            for name in level_questions():
                target = form.waits_on(name) or name
                links[f"levels[{index}].{name}"] = _anchor(form[target])
        return links

    def problems(self) -> list[Problem]:
        """Every answer that is not valid, with a link to its question."""
        problems = []
        for message in self.answers_form.non_field_errors():
            problems.append(Problem("#intake-top", str(_("Referral")), str(message)))
        for name, messages in self.answers_form.errors.items():
            if name == "__all__":
                continue
            bound = self.answers_form[name]
            target = self.answers_form["allergy_status"] if name == "allergies" else bound
            for message in messages:
                problems.append(Problem(_anchor(target), str(bound.label), str(message)))
        for message in self.level_formset.non_form_errors():
            problems.append(Problem("#target-levels", str(_("Target levels")), str(message)))
        for number, form in self._numbered_level_forms():
            row = _("Target level {number}").format(number=number)
            label_value = form["level"].value()
            if label_value in LEVEL_LABELS:
                row = _("{row} ({level})").format(row=row, level=label_value)
            for name, messages in form.errors.items():
                href = _anchor(form["level"]) if name == "__all__" else _anchor(form[name])
                label = (
                    row
                    if name == "__all__"
                    else _("{row}: {question}").format(row=row, question=form[name].label)
                )
                for message in messages:
                    problems.append(Problem(href, label, str(message)))
        return problems

    def _numbered_level_forms(self) -> list[tuple[int, TargetLevelForm]]:
        # Numbered as the page numbers the cards ("Target level 2"), removed rows included.
        kept = set(map(id, self.level_forms()))
        return [
            (number, form)
            for number, form in enumerate(self.level_formset.forms, start=1)
            if id(form) in kept
        ]

    def warnings(self) -> list[Problem]:
        """Advice that does not block saving (a missing fracture date, answers that disagree,
        unusual values), once each, linked to the first question it concerns."""
        warnings, seen = [], set()
        forms_numbered: list[tuple[int | None, ReferralAnswersForm | TargetLevelForm]] = [
            (None, self.answers_form),
            *self._numbered_level_forms(),
        ]
        for number, form in forms_numbered:
            for name, note in form.notes.items():
                for message in note.warnings:
                    if message in seen:
                        continue
                    seen.add(message)
                    label = str(form[name].label)
                    if number is not None:
                        label = _("Target level {number}: {question}").format(
                            number=number, question=label
                        )
                    warnings.append(Problem(_anchor(form[name]), label, message))
        return warnings


def rebased_data(form: IntakeForm, level_ids: list[int | None]) -> QueryDict:
    """The posted data with the level rows renumbered as stored after a draft save.

    Rows marked for removal are gone and each kept row carries the id it was stored under
    (`level_ids` is per row of `form.level_rows()`), so the re-displayed form posts back onto
    the stored rows.
    """
    data = QueryDict(mutable=True)
    # The posted QueryDict, shared by all the forms (django-stubs types a form's data Mapping).
    posted = cast("MultiValueDict[str, Any]", form.answers_form.data)
    prefix = f"{form.prefix}-"
    for key in posted:
        if not key.startswith(prefix):
            data.setlist(key, posted.getlist(key))
    _, forms_of_rows = form.level_rows()
    stored_ids = {
        id(level_form): pk for level_form, pk in zip(forms_of_rows, level_ids, strict=True)
    }
    kept = form.level_forms()
    names = [*TargetLevelForm.base_fields, DELETION_FIELD_NAME]
    for index, level_form in enumerate(kept):
        for name in names:
            data.setlist(f"{prefix}{index}-{name}", posted.getlist(level_form.add_prefix(name)))
        stored_id = stored_ids.get(id(level_form))
        data[f"{prefix}{index}-id"] = "" if stored_id is None else str(stored_id)
    data[f"{prefix}TOTAL_FORMS"] = str(len(kept))
    data[f"{prefix}INITIAL_FORMS"] = "0"
    data[f"{prefix}MIN_NUM_FORMS"] = "0"
    data[f"{prefix}MAX_NUM_FORMS"] = str(MAX_LEVELS)
    return data
