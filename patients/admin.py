"""Admin of patients and referrals, for superusers: browse, search, and read the history.

Clinical answers are read-only here: they change through the intake form, whose services
validate them, keep the version and evaluate on submission.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from . import vocabulary
from .models import Clinic, Patient, Referral, TargetLevel


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["family_name", "given_name", "mrn", "date_of_birth", "sex", "clinic"]
    list_filter = ["clinic", "sex"]
    search_fields = ["mrn", "family_name", "given_name"]
    list_select_related = ["clinic"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["created_at", "updated_at"]


def _answer_display(name: str):
    """A read-only admin column showing the answer as every page words it."""

    @admin.display(description=vocabulary.LABELS[name], ordering=name)
    def answer(self, obj) -> str:
        return vocabulary.answer_text(name, getattr(obj, name))

    return answer


class AnswersAsWorded:
    """Each answer field `x` of the model is shown by a column `x_answer` (patients.vocabulary)."""

    answer_fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.answer_fields:
            setattr(cls, f"{name}_answer", _answer_display(name))


class TargetLevelInline(AnswersAsWorded, admin.TabularInline):
    model = TargetLevel
    extra = 0
    can_delete = False
    answer_fields = vocabulary.LEVEL_ANSWER_FIELDS
    readonly_fields = ("position", "level", *(f"{name}_answer" for name in answer_fields))
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Referral)
class ReferralAdmin(AnswersAsWorded, SimpleHistoryAdmin):
    answer_fields = ("assessed_on", *vocabulary.REFERRAL_FIELDS)
    list_display = [
        "id",
        "patient",
        "physician",
        "status",
        "recommendation_label",
        "flagged",
        "updated_at",
    ]
    list_filter = ["status", "recommendation", "flagged"]
    search_fields = ["patient__mrn", "patient__family_name", "patient__given_name"]
    list_select_related = ["patient", "physician"]
    inlines = [TargetLevelInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        answers = set(self.answer_fields)
        return [
            *(field.name for field in Referral._meta.fields if field.name not in answers),
            *(f"{name}_answer" for name in self.answer_fields),
        ]

    @admin.display(description=vocabulary.LABELS["recommendation"], ordering="recommendation")
    def recommendation_label(self, referral: Referral) -> str:
        return vocabulary.recommendation_label(referral.recommendation)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's "Revert" saves every field of the old version (status, version,
        # answers, latest evaluation) past the read-only fields and the intake services.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
