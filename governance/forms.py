"""Forms of rule governance: a proposed version, a replay window, an approval, an activation."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from eligibility.engine import THRESHOLD_NAMES, THRESHOLD_SOURCES, THRESHOLD_UNITS, Thresholds

# Thresholds counted in whole units; the others take decimals (an INR of 1.8).
WHOLE_THRESHOLDS = frozenset({"SEVERE_PAIN_NRS", "PAIN_PRESENT_NRS", "OLD_FRACTURE_DAYS"})


class RulesetDraftForm(forms.Form):
    """Every threshold's value (the active one to start with), and per change why and whence."""

    summary = forms.CharField(
        label=_("Why propose this version"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What prompted the change: a guideline, an audit, a clinic's decision."),
    )

    def __init__(self, *args, active: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.active = active
        for name in THRESHOLD_NAMES:
            label = _("New value of %(name)s (%(unit)s)") % {
                "name": name,
                "unit": THRESHOLD_UNITS[name],
            }
            help_text = _("Now %(value)s. Source: %(source)s") % {
                "value": active[name],
                "source": THRESHOLD_SOURCES[name],
            }
            if name in WHOLE_THRESHOLDS:
                field = forms.IntegerField(label=label, help_text=help_text)
            else:
                field = forms.DecimalField(
                    label=label, help_text=help_text, max_digits=9, decimal_places=3
                )
            field.initial = active[name]
            self.fields[name] = field
            self.fields[f"{name}_rationale"] = forms.CharField(
                label=_("Rationale for %(name)s") % {"name": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"{name}_citation"] = forms.CharField(
                label=_("Source citation for %(name)s") % {"name": name},
                required=False,
                max_length=500,
            )

    def threshold_rows(self):
        """(value field, rationale field, citation field) per threshold, for the template."""
        return [
            (self[name], self[f"{name}_rationale"], self[f"{name}_citation"])
            for name in THRESHOLD_NAMES
        ]

    def values(self) -> dict:
        data = self.cleaned_data
        values = {}
        for name in THRESHOLD_NAMES:
            value = data.get(name)
            values[name] = float(value) if isinstance(value, Decimal) else value
        return values

    def reasons(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            name: (data.get(f"{name}_rationale", ""), data.get(f"{name}_citation", ""))
            for name in THRESHOLD_NAMES
        }

    def clean(self):
        cleaned = super().clean()
        for name in THRESHOLD_NAMES:
            value = cleaned.get(name)
            if value is None:
                continue
            try:
                Thresholds.from_overrides(
                    {name: float(value) if isinstance(value, Decimal) else value}
                )
            except ValueError as exc:
                self.add_error(name, str(exc))
        return cleaned


class ReplayForm(forms.Form):
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ApprovalForm(forms.Form):
    comment = forms.CharField(
        label=_("Why you approve"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Stored with your approval and in the audit trail."),
    )


class ActivationForm(forms.Form):
    reason = forms.CharField(
        label=_("Why activate it now"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("New evaluations use this version from the moment you activate it."),
    )
