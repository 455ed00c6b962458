from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import QueueFilters, QueueStatus

DATES_REVERSED = _("The start date is after the end date.")


class PrintQueueFilterForm(forms.Form):
    """The print queue's filters; invalid values are reported and ignored."""

    status = forms.ChoiceField(
        label=_("Status"), choices=QueueStatus.CHOICES, required=False, initial=QueueStatus.READY
    )
    decided_from = forms.DateField(
        label=_("Decided from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    decided_to = forms.DateField(
        label=_("Decided to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("decided_from"), cleaned.get("decided_to")
        if start and end and start > end:
            self.add_error("decided_to", DATES_REVERSED)
        return cleaned

    def filters(self) -> QueueFilters:
        if not self.is_bound or not self.is_valid():
            return QueueFilters(status=self._valid_status())
        return QueueFilters(
            status=self.cleaned_data["status"] or QueueStatus.READY,
            decided_from=self.cleaned_data["decided_from"],
            decided_to=self.cleaned_data["decided_to"],
        )

    def _valid_status(self) -> str:
        status = self.data.get("status") if self.is_bound else None
        return status if status in dict(QueueStatus.CHOICES) else QueueStatus.READY
