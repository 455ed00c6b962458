"""Admin of patients and referrals, for superusers: browse, search, and read the history.

Clinical answers are read-only here: they change through the intake form, whose services
validate them, keep the version and evaluate on submission.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from .models import Clinic, Patient, Referral, TargetLevel
from .vocabulary import LEVEL_FIELDS


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


class TargetLevelInline(admin.TabularInline):
    model = TargetLevel
    extra = 0
    can_delete = False
    fields = ["position", *LEVEL_FIELDS]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Referral)
class ReferralAdmin(SimpleHistoryAdmin):
    list_display = [
        "id",
        "patient",
        "physician",
        "status",
        "recommendation",
        "flagged",
        "updated_at",
    ]
    list_filter = ["status", "recommendation", "flagged"]
    search_fields = ["patient__mrn", "patient__family_name", "patient__given_name"]
    list_select_related = ["patient", "physician"]
    inlines = [TargetLevelInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in Referral._meta.fields]

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
