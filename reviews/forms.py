"""Forms of the review app: the worklist filters and the decision form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from eligibility.models import Recommendation
from patients.models import LEVEL_LABELS, Referral

from .assessment import assess_decision, level_recommendations
from .attachments import MAX_ATTACHMENTS, check_attachment, max_megabytes
from .models import ReasonCode, ReviewDecision
from .selectors import WorklistFilters
from .services import decision_problems

ACCEPTED_TYPES = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"

STATUS_CHOICES = [
    ("", "Any status"),
    (Referral.Status.SUBMITTED, "Submitted (not started)"),
    (Referral.Status.UNDER_REVIEW, "Under review"),
    ("pending_countersignature", "Override pending countersignature"),
]


class WorklistFilterForm(forms.Form):
    """Filters and search of the worklist; posted, so names and MRNs stay out of URLs."""

    search = forms.CharField(
        label="Patient name or MRN", required=False, max_length=100, strip=True
    )
    recommendation = forms.ChoiceField(
        choices=[("", "Any recommendation"), *Recommendation.choices], required=False
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    level = forms.ChoiceField(
        choices=[("", "Any level"), *((label, label) for label in LEVEL_LABELS)], required=False
    )
    submitted_from = forms.DateField(
        label="Submitted from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label="Submitted until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assigned_to_me = forms.BooleanField(label="Assigned to me", required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", "The end of the date range is before its start.")
        return data

    def filters(self) -> WorklistFilters:
        data = self.cleaned_data
        return WorklistFilters(
            recommendation=data.get("recommendation") or "",
            status=data.get("status") or "",
            level=data.get("level") or "",
            submitted_from=data.get("submitted_from"),
            submitted_to=data.get("submitted_to"),
            assigned_to_me=bool(data.get("assigned_to_me")),
            search=data.get("search") or "",
        )


def _reason_choices(codes: list[ReasonCode], kinds: tuple[str, ...]) -> list:
    groups = []
    for kind in kinds:
        options = [(str(code.pk), code.label) for code in codes if code.kind == kind]
        if options:
            groups.append((ReasonCode.Kind(kind).label, options))
    return [("", "—"), *groups]


class DecisionForm(forms.Form):
    """Accept (with levels), decline or request information; an override needs a reason."""

    outcome = forms.ChoiceField(
        choices=ReviewDecision.Outcome.choices, widget=forms.RadioSelect, label="Decision"
    )
    levels_to_treat = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Levels to treat",
        help_text="For an acceptance: the levels to treat.",
    )
    reason_code = forms.ChoiceField(
        choices=(),
        required=False,
        label="Reason",
        help_text="For a decline or an information request; the referrer reads this wording.",
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        label="Comment",
        help_text=(
            "Optional; required when you disagree with the engine. "
            "For an information request, your question to the referrer."
        ),
    )
    override_reason = forms.ChoiceField(
        choices=(),
        required=False,
        label="Override reason",
        help_text="Required when the decision disagrees with the engine's recommendation.",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    supersedes = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, evaluation, reason_codes: list[ReasonCode], **kwargs):
        super().__init__(*args, **kwargs)
        self.evaluation = evaluation
        self.codes = {str(code.pk): code for code in reason_codes}
        recommendations = level_recommendations(evaluation.result)
        self.fields["levels_to_treat"].choices = [
            (level, f"{level} (engine: {Recommendation(rec).label.lower()})")
            for level, rec in recommendations.items()
        ]
        self.fields["reason_code"].choices = _reason_choices(
            reason_codes, (ReasonCode.Kind.DECLINE, ReasonCode.Kind.INFORMATION)
        )
        self.fields["override_reason"].choices = _reason_choices(
            reason_codes, (ReasonCode.Kind.OVERRIDE,)
        )

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if not outcome:
            return data
        # Only the fields that go with the chosen outcome count; the others are ignored.
        if outcome != ReviewDecision.Outcome.ACCEPT:
            data["levels_to_treat"] = []
        reason = self.codes.get(data.get("reason_code") or "")
        data["reason_code"] = None if outcome == ReviewDecision.Outcome.ACCEPT else reason
        levels = data.get("levels_to_treat") or []
        assessment = assess_decision(
            result=self.evaluation.result, outcome=outcome, levels_to_treat=levels
        )
        override = self.codes.get(data.get("override_reason") or "")
        data["override_reason"] = override if assessment.is_override else None
        data["comment"] = data.get("comment") or ""
        problems = decision_problems(
            result=self.evaluation.result,
            outcome=outcome,
            levels_to_treat=levels,
            reason_code=data["reason_code"],
            comment=data["comment"],
            override_reason=data["override_reason"],
        )
        for name, messages in problems.items():
            for message in messages:
                self.add_error(name, message)
        return data


class CountersignForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by `check_attachment`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_TYPES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        if len(uploads) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(count)d files to one answer.") % {"count": MAX_ATTACHMENTS}
            )
        checked, errors = [], []
        for upload in uploads:
            try:
                checked.append(check_attachment(super().clean(upload, initial)))
            except forms.ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return checked


class InformationReplyForm(forms.Form):
    """The referring physician's answer to an information request: words, files or both."""

    prefix = "reply"

    text = forms.CharField(
        label=_("Your answer to the radiologist"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(
        label=_("Attach reports or images"),
        required=False,
        help_text=_("PDF, PNG or JPEG, up to %(limit)s MB each, at most %(count)d files."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = self.fields["attachments"].help_text % {
            "limit": max_megabytes(),
            "count": MAX_ATTACHMENTS,
        }

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("text") or "").strip() and not data.get("attachments"):
            self.add_error("text", _("Write an answer or attach a file."))
        return data
