"""Forms of the patients app: a patient's identification and the patient search."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .intake import DATE_IN_FUTURE, BootstrapFormMixin, DateTextField
from .languages import clinic_language
from .models import Patient, Referral

DATE_OF_BIRTH_TOO_OLD = _("Check the date of birth: it is more than 130 years ago.")
MRN_TAKEN = _("A patient with this MRN is already registered in this clinic.")
# Said when another physician holds the MRN: the same whoever it is, and it names a way on.
MRN_UNAVAILABLE = _(
    "This MRN cannot be registered by you. If a colleague already follows this patient in "
    "VPSelect, ask an administrator to give you access to the patient's record."
)
OLDEST_AGE_YEARS = 130


class PatientForm(BootstrapFormMixin, forms.ModelForm):
    """A patient's identification; the MRN is unique within the clinic."""

    class Meta:
        model = Patient
        fields = ["mrn", "given_name", "family_name", "date_of_birth", "sex", "preferred_language"]
        field_classes = {"date_of_birth": DateTextField}
        # Here, not as verbose names: a verbose name is part of the migrations.
        labels = {
            "given_name": _("Given name"),
            "family_name": _("Family name"),
            "date_of_birth": _("Date of birth"),
            "sex": _("Sex"),
        }

    def __init__(self, *args, clinic, today: date, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.today = today
        self.user = user
        # The MRN typed when it belongs to another physician's patient (audited by the view).
        self.refused_mrn: str | None = None
        self.fields["sex"].choices = [("", _("Choose…")), *self.fields["sex"].choices[1:]]
        # Left out (an older form, an API client), it stays the patient's or the clinic's.
        language = self.fields["preferred_language"]
        language.required = False
        language.choices = (
            language.choices[1:] if language.choices[0][0] == "" else language.choices
        )
        self._style_widgets()

    def clean_preferred_language(self) -> str:
        return self.cleaned_data.get("preferred_language") or (
            self.instance.preferred_language if self.instance.pk else clinic_language()
        )

    def clean_mrn(self) -> str:
        mrn = self.cleaned_data["mrn"].strip()
        others = Patient.objects.filter(clinic=self.clinic, mrn=mrn)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        holders = set(others.values_list("created_by_id", flat=True))
        if not holders:
            return mrn
        if self.user is not None and self.user.pk in holders:
            raise ValidationError(MRN_TAKEN, code="unique")
        self.refused_mrn = mrn
        raise ValidationError(MRN_UNAVAILABLE, code="unavailable")

    def clean_date_of_birth(self) -> date:
        date_of_birth = self.cleaned_data["date_of_birth"]
        if date_of_birth > self.today:
            raise ValidationError(DATE_IN_FUTURE, code="future")
        if self.today.year - date_of_birth.year > OLDEST_AGE_YEARS:
            raise ValidationError(DATE_OF_BIRTH_TOO_OLD, code="too_old")
        return date_of_birth


class SearchForm(forms.Form):
    """A name or MRN search; posted (never in the URL) because the terms are PHI."""

    q = forms.CharField(label=_("Patient name or MRN"), max_length=100, required=False, strip=True)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Referral.Status.choices]
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
