from django.contrib import admin

from .models import SummaryDocument


@admin.register(SummaryDocument)
class SummaryDocumentAdmin(admin.ModelAdmin):
    """Read-only: summaries change only through their services."""

    list_display = ("id", "referral", "status", "decision", "created_at", "print_count")
    list_filter = ("status",)
    readonly_fields = [field.name for field in SummaryDocument._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
