"""The auditor's filter form (sent by GET: it holds ids and usernames, never patient data)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import AuditEvent
from .selectors import EventFilters, parse_cursor

DATES_REVERSED = _("The first day must not be after the last day.")
NOT_A_PAGE = _("This is not a page of the audit trail: start again from the newest events.")


class EventFilterForm(forms.Form):
    user = forms.CharField(
        label=_("User"), max_length=150, required=False, help_text=_("Username, exactly.")
    )
    patient = forms.IntegerField(
        label=_("Patient id"),
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text=_("The patient's number in VPSelect (not the MRN)."),
    )
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", pgettext_lazy("any audit action", "Any")), *AuditEvent.Action.choices],
        required=False,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", pgettext_lazy("any audit outcome", "Any")), *AuditEvent.Outcome.choices],
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    # Positions of the page links ("Older" / "Newer"), not shown as fields.
    before = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    after = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def _cursor(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        if value:
            try:
                parse_cursor(value)
            except (ValueError, OverflowError, OSError):
                raise forms.ValidationError(NOT_A_PAGE) from None
        return value

    def clean_before(self) -> str:
        return self._cursor("before")

    def clean_after(self) -> str:
        return self._cursor("after")

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", DATES_REVERSED)
        return cleaned

    def filters(self) -> EventFilters:
        """The filters of a valid form (call is_valid() first)."""
        data = self.cleaned_data
        return EventFilters(
            user=data.get("user") or "",
            patient_id=data.get("patient"),
            action=data.get("action") or "",
            outcome=data.get("outcome") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
