"""Forms of the review app: the worklist filters and the decision form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from eligibility.engine import RULES_BY_ID
from eligibility.i18n import rule_text
from eligibility.models import Recommendation
from patients.models import LEVEL_LABELS, Referral

from .assessment import assess_decision, level_recommendations
from .attachments import MAX_ATTACHMENTS, check_attachment, max_megabytes
from .models import ReasonCode, ReviewDecision
from .reasons import reason_text
from .selectors import WORKLIST_SORTS, WorklistFilters
from .services import REFUSAL_REASON_REQUIRED, decision_problems

ACCEPTED_TYPES = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"

STATUS_CHOICES = [
    ("", _("Any status")),
    (Referral.Status.SUBMITTED, _("Submitted (not started)")),
    (Referral.Status.UNDER_REVIEW, Referral.Status.UNDER_REVIEW.label),
    ("pending_countersignature", _("Override pending countersignature")),
    ("countersignature_refused", _("Countersignature refused")),
]
SORT_CHOICES = [
    ("", _("Queue order")),
    *((f"{sign}{key}", f"{sign}{key}") for key in WORKLIST_SORTS for sign in ("", "-")),
]


class WorklistFilterForm(forms.Form):
    """Filters and search of the worklist; posted, so names and MRNs stay out of URLs."""

    search = forms.CharField(
        label=_("Patient name or MRN"), required=False, max_length=100, strip=True
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("", _("Any recommendation")), *Recommendation.choices],
        required=False,
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    level = forms.ChoiceField(
        label=_("Level"),
        choices=[("", _("Any level")), *((label, label) for label in LEVEL_LABELS)],
        required=False,
    )
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assigned_to_me = forms.BooleanField(label=_("Assigned to me"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # Set by the column headers' buttons; kept in the session with the filters.
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, widget=forms.HiddenInput)

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
            sort=data.get("sort") or "",
        )

    def session_data(self) -> dict[str, str]:
        """The form's data as the session keeps it: the submitted strings of its fields."""
        return {
            name: value
            for name in self.fields
            if (value := self.data.get(self.add_prefix(name))) not in (None, "")
        }


def _reason_choices(codes: list[ReasonCode], kinds: tuple[str, ...]) -> list:
    groups = []
    for kind in kinds:
        options = [(str(code.pk), reason_text(code.label)) for code in codes if code.kind == kind]
        if options:
            groups.append((ReasonCode.Kind(kind).label, options))
    return [("", "—"), *groups]


def rule_wording(rule_id: str) -> str:
    """A rule in the seed's words; the id only for a rule no longer in the engine."""
    return rule_text(rule_id) if rule_id in RULES_BY_ID else rule_id


# The reason field that goes with each outcome: each outcome has its own list.
REASON_FIELD_BY_OUTCOME: dict[str, str] = {
    ReviewDecision.Outcome.DECLINE: "decline_reason",
    ReviewDecision.Outcome.REQUEST_INFORMATION: "information_reason",
}


class DecisionForm(forms.Form):
    """Accept (with levels), decline or request information, each with its own reasons; an
    override needs a reason. Only the chosen outcome's fields count (the others are ignored),
    so the form works the same with and without JavaScript."""

    outcome = forms.ChoiceField(
        choices=ReviewDecision.Outcome.choices, widget=forms.RadioSelect, label=_("Decision")
    )
    levels_to_treat = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Levels to treat"),
    )
    decline_reason = forms.ChoiceField(
        choices=(),
        required=False,
        label=_("Reason for declining"),
        help_text=_("The referrer reads this wording."),
    )
    information_reason = forms.ChoiceField(
        choices=(),
        required=False,
        label=_("Information needed"),
        help_text=_("The referrer reads this wording; ask your question in the comment."),
    )
    override_reason = forms.ChoiceField(
        choices=(),
        required=False,
        label=_("Override reason"),
        help_text=_("Only when the decision disagrees with the engine's recommendation."),
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        label=_("Comment"),
        help_text=_(
            "Optional; required when you disagree with the engine. "
            "For an information request, your question to the referrer."
        ),
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
        self.level_recommendations = recommendations
        self.fields["decline_reason"].choices = _reason_choices(
            reason_codes, (ReasonCode.Kind.DECLINE,)
        )
        self.fields["information_reason"].choices = _reason_choices(
            reason_codes, (ReasonCode.Kind.INFORMATION,)
        )
        self.fields["override_reason"].choices = _reason_choices(
            reason_codes, (ReasonCode.Kind.OVERRIDE,)
        )

    @property
    def countersignature_levels(self) -> list[tuple[str, list[str]]]:
        """(level, met absolute contraindications in words) for each level whose acceptance
        needs a second radiologist's countersignature."""
        return [
            (level["level"], [rule_wording(rule) for rule in rules])
            for level in self.evaluation.result.get("levels", [])
            if (
                rules := [
                    f["rule"]
                    for f in level["findings"]
                    if f["kind"] == "absolute" and f["status"] == "met"
                ]
            )
        ]

    @property
    def eligible_levels(self) -> list[str]:
        """Levels the engine calls eligible: declining the referral overrides the engine."""
        return [level for level, rec in self.level_recommendations.items() if rec == "eligible"]

    def add_problems(self, problems: dict[str, list[str]], outcome: str | None) -> None:
        """Add decision_problems' errors, the coded reason's on the outcome's own list."""
        for name, messages in problems.items():
            field = (
                REASON_FIELD_BY_OUTCOME.get(outcome or "", "") if name == "reason_code" else name
            )
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if not outcome:
            return data
        # Only the fields that go with the chosen outcome count; the others are ignored.
        if outcome != ReviewDecision.Outcome.ACCEPT:
            data["levels_to_treat"] = []
        reason_field = REASON_FIELD_BY_OUTCOME.get(outcome)
        data["reason_code"] = self.codes.get(data.get(reason_field) or "") if reason_field else None
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
        self.add_problems(problems, outcome)
        return data


class CountersignForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
        label=_("Comment (optional)"),
    )


class CountersignRefusalForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        label=_("Why you refuse"),
        help_text=_("Required. The deciding radiologist reads this and corrects the decision."),
        error_messages={"required": REFUSAL_REASON_REQUIRED},
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
