"""Forms of the outcomes app: they parse input; the services hold the clinical rules."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from patients.models import LEVEL_LABELS, Etiology

from .cohort import CohortFilters
from .models import (
    CEMENT_ML_MAX,
    USUAL_CEMENT_ML_MAX,
    USUAL_CEMENT_ML_MIN,
    Admission,
    Anaesthesia,
    Analgesics,
    Guidance,
    Language,
    LeakageSite,
    Mobility,
    NeedleApproach,
)
from .questionnaires import Kind as QuestionKind
from .questionnaires import Question, Questionnaire
from .services import TreatedLevelInput, level_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
USUAL_RANGE_HELP = format_lazy(
    _(
        "Usually {low}–{high} ml (the source document: “from 2 to 4 ml”). Other volumes up to "
        "{most} ml are accepted and highlighted."
    ),
    low=USUAL_CEMENT_ML_MIN,
    high=USUAL_CEMENT_ML_MAX,
    most=CEMENT_ML_MAX,
)


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class DateInput(forms.DateInput):
    input_type = "date"


class ProcedureForm(forms.Form):
    """The procedure: one row of (treated, volume, approach) per accepted level."""

    performed_on = forms.DateField(label=_("Procedure date"), widget=DateInput, required=False)
    guidance = forms.ChoiceField(
        label=_("Guidance"), choices=Guidance.choices, widget=forms.RadioSelect
    )
    anaesthesia = forms.ChoiceField(
        label=_("Anaesthesia"), choices=Anaesthesia.choices, widget=forms.RadioSelect
    )
    admission = forms.ChoiceField(
        label=_("Outpatient or admitted"), choices=Admission.choices, widget=forms.RadioSelect
    )
    had_complications = forms.ChoiceField(
        label=_("Complications"),
        choices=[("no", _("None")), ("yes", _("Yes"))],
        widget=forms.RadioSelect,
    )
    leakage_sites = forms.MultipleChoiceField(
        label=_("Cement leakage"),
        choices=LeakageSite.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    leakage_symptomatic = forms.ChoiceField(
        label=_("Did the leakage cause symptoms?"),
        choices=[("", "—"), ("yes", _("With symptoms")), ("no", _("Without symptoms"))],
        required=False,
    )
    other_complication = forms.CharField(
        label=_("Other complication"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, accepted_levels: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.accepted_levels = list(accepted_levels)
        for level in self.accepted_levels:
            self.fields[level_field(level, "treated")] = forms.BooleanField(
                label=_("{level} treated").format(level=level), required=False, initial=True
            )
            self.fields[level_field(level, "volume")] = forms.DecimalField(
                label=_("{level} cement volume (ml)").format(level=level),
                max_digits=4,
                decimal_places=1,
                required=False,
                help_text=USUAL_RANGE_HELP,
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            )
            self.fields[level_field(level, "approach")] = forms.ChoiceField(
                label=_("{level} needle approach").format(level=level),
                choices=[("", "—"), *NeedleApproach.choices],
                required=False,
            )
        # Errors on the level checkboxes as a whole ("levels") have a field to sit next to.
        self.fields["levels"] = forms.CharField(required=False, widget=forms.HiddenInput)

    def level_rows(self) -> list[dict]:
        """The bound fields of each accepted level, and whether its volume is unusual."""
        rows = []
        for level in self.accepted_levels:
            volume = self[level_field(level, "volume")]
            value = volume.value()
            try:
                unusual = value not in (None, "") and not (
                    USUAL_CEMENT_ML_MIN <= Decimal(str(value)) <= USUAL_CEMENT_ML_MAX
                )
            except ArithmeticError:
                unusual = False
            rows.append(
                {
                    "level": level,
                    "treated": self[level_field(level, "treated")],
                    "volume": volume,
                    "approach": self[level_field(level, "approach")],
                    "unusual": unusual,
                }
            )
        return rows

    def service_arguments(self) -> dict:
        """The cleaned data as keyword arguments of `procedure_record`."""
        data = self.cleaned_data
        return {
            "performed_on": data["performed_on"],
            "levels": [
                TreatedLevelInput(
                    level=level,
                    cement_volume_ml=data.get(level_field(level, "volume")),
                    approach=data.get(level_field(level, "approach")) or "",
                )
                for level in self.accepted_levels
                if data.get(level_field(level, "treated"))
            ],
            "guidance": data["guidance"],
            "anaesthesia": data["anaesthesia"],
            "admission": data["admission"],
            "had_complications": _yes_no(data["had_complications"]),
            "leakage_sites": data["leakage_sites"],
            "leakage_symptomatic": _yes_no(data["leakage_symptomatic"]),
            "other_complication": data["other_complication"],
        }


class FollowUpForm(forms.Form):
    """One follow-up: pain, analgesics, mobility, activities, new fracture, optional scores."""

    assessed_on = forms.DateField(
        label=_("Date of the follow-up"), widget=DateInput, required=False
    )
    pain_nrs = forms.IntegerField(
        label=_("Pain NRS (0–10)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "inputmode": "numeric"}),
        help_text=_("0 = no pain, 10 = worst pain imaginable."),
    )
    analgesics = forms.ChoiceField(
        label=_("Analgesic use"), choices=Analgesics.choices, widget=forms.RadioSelect
    )
    mobility = forms.ChoiceField(
        label=_("Mobility"), choices=Mobility.choices, widget=forms.RadioSelect
    )
    back_to_usual_activities = forms.ChoiceField(
        label=_("Back to usual activities"), choices=YES_NO, widget=forms.RadioSelect
    )
    new_fracture = forms.ChoiceField(
        label=_("New vertebral fracture since the last visit"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    new_fracture_level = forms.ChoiceField(
        label=_("Level of the new fracture"),
        choices=[("", "—"), *((label, label) for label in LEVEL_LABELS)],
        required=False,
    )
    new_fracture_date = forms.DateField(
        label=_("Date of the new fracture"), widget=DateInput, required=False
    )
    odi_pct = forms.IntegerField(
        label=_("Oswestry Disability Index (%)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "inputmode": "numeric"}),
        help_text=_("Optional. The score only, 0–100 %."),
    )
    roland_morris = forms.IntegerField(
        label=_("Roland-Morris score"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 24, "inputmode": "numeric"}),
        help_text=_("Optional. The score only, 0–24."),
    )

    def service_arguments(self) -> dict:
        """The cleaned data as keyword arguments of `follow_up_record`."""
        data = self.cleaned_data
        return {
            "assessed_on": data["assessed_on"],
            "pain_nrs": data["pain_nrs"],
            "analgesics": data["analgesics"],
            "mobility": data["mobility"],
            "back_to_usual_activities": _yes_no(data["back_to_usual_activities"]),
            "new_fracture": _yes_no(data["new_fracture"]),
            "new_fracture_level": data["new_fracture_level"],
            "new_fracture_date": data["new_fracture_date"],
            "odi_pct": data["odi_pct"],
            "roland_morris": data["roland_morris"],
        }


class CohortFilterForm(forms.Form):
    """The dashboard's filters; every one optional."""

    etiology = forms.ChoiceField(label=_("Etiology"), required=False)
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("Any level")), *((label, label) for label in LEVEL_LABELS)],
    )
    performed_from = forms.DateField(label=_("Treated from"), required=False, widget=DateInput)
    performed_to = forms.DateField(label=_("Treated until"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["etiology"].choices = [("", _("Any etiology")), *Etiology.choices]

    def filters(self) -> CohortFilters:
        """The filters chosen; invalid ones are ignored (the form shows their errors)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return CohortFilters(
            etiology=data.get("etiology", ""),
            level=data.get("level", ""),
            performed_from=data.get("performed_from"),
            performed_to=data.get("performed_to"),
        )


# --- Patient-reported outcomes --------------------------------------------------------


class PatientContactForm(forms.Form):
    """How and whether the clinic may contact the patient (recorded by staff or a clinician)."""

    email = forms.EmailField(label=_("E-mail"), required=False)
    mobile = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("With the country code, e.g. +39 333 123 4567."),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, widget=forms.RadioSelect
    )
    consent_to_contact = forms.BooleanField(
        label=_("The patient consents to be contacted for follow-up questionnaires"),
        required=False,
    )
    consent_recorded_on = forms.DateField(
        label=_("Date of consent"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD.")},
    )
    opted_out = forms.BooleanField(
        label=_("The patient asked to receive no more messages (opt-out)"), required=False
    )

    @classmethod
    def for_contact(cls, contact, data=None, *, patient):
        initial = {"preferred_language": patient.preferred_language}
        if contact is not None:
            initial = {
                "email": contact.email,
                "mobile": contact.mobile,
                "preferred_language": patient.preferred_language,
                "consent_to_contact": contact.consent_to_contact,
                "consent_recorded_on": contact.consent_recorded_on,
                "opted_out": contact.opted_out_at is not None,
            }
        return cls(data, initial=initial)

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


PLEASE_ANSWER = _("Please answer this question.")


class PatientQuestionnaireForm(forms.Form):
    """The patient's questionnaire, built from its definition (outcomes.questionnaires)."""

    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for question in questionnaire.questions:
            self.fields[question.key] = self._field(question)

    @staticmethod
    def _field(question: Question) -> forms.Field:
        errors = {"required": PLEASE_ANSWER, "invalid_choice": PLEASE_ANSWER}
        if question.kind == QuestionKind.TEXT:
            return forms.CharField(
                label=question.text,
                required=False,
                max_length=question.max_length,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        choices: list[tuple[str, StrOrPromise]]
        if question.kind == QuestionKind.NRS:
            choices = [(str(value), str(value)) for value in range(11)]
        else:
            choices = [(option.value, option.label) for option in question.options]
        return forms.ChoiceField(
            label=question.text,
            choices=choices,
            required=question.required,
            widget=forms.RadioSelect,
            error_messages=errors,
        )

    def questions(self):
        """(question, bound field) pairs in the questionnaire's order, for the template."""
        return [(question, self[question.key]) for question in self.questionnaire.questions]

    def answers(self) -> dict[str, str]:
        return {key: value for key, value in self.cleaned_data.items() if value != ""}
