"""Read-only admin views of what the EHR connection stored (for audits and support)."""

from django.contrib import admin

from .models import CdsEvaluation, CdsFeedback, CdsLaunch


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CdsEvaluation)
class CdsEvaluationAdmin(_ReadOnly):
    list_display = ["id", "created_at", "hook", "recommendation", "indicator", "ruleset_version"]
    list_filter = ["hook", "recommendation", "indicator"]
    exclude = ["case"]  # patient data: not on admin pages


@admin.register(CdsFeedback)
class CdsFeedbackAdmin(_ReadOnly):
    list_display = ["id", "received_at", "outcome", "reason_code", "reason_offered"]
    list_filter = ["outcome", "reason_offered"]
    exclude = ["user_comment"]


@admin.register(CdsLaunch)
class CdsLaunchAdmin(_ReadOnly):
    list_display = ["id", "created_at", "expires_at", "used_at"]
    exclude = ["patient", "case"]
