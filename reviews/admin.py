from django.contrib import admin, messages

from .models import Countersignature, Notification, OutboxMessage, ReasonCode, ReviewDecision
from .outbox import outbox_publish


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    """Clinics extend the coded reasons here; deactivate rather than delete a used code."""

    list_display = ("label", "code", "kind", "active", "position")
    list_filter = ("kind", "active")
    list_editable = ("active", "position")
    search_fields = ("code", "label")
    prepopulated_fields = {"code": ("label",)}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Signed records: visible to administrators, never changed or deleted."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "referral",
        "outcome",
        "is_override",
        "requires_countersignature",
        "decided_by",
        "decided_at",
    )
    list_filter = ("outcome", "is_override", "requires_countersignature")
    list_select_related = ("referral", "decided_by")


@admin.register(Countersignature)
class CountersignatureAdmin(ReadOnlyAdmin):
    list_display = ("decision", "signed_by", "signed_at")
    list_select_related = ("decision", "signed_by")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "recipient", "kind", "referral", "created_at", "emailed_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("recipient", "referral")


@admin.action(description="Publish the selected unsent messages again")
def publish_again(modeladmin, request, queryset):
    sent = sum(
        outbox_publish(message_id=pk, force=True)
        for pk in queryset.filter(sent_at__isnull=True).values_list("pk", flat=True)
    )
    modeladmin.message_user(request, f"{sent} message(s) queued.", messages.INFO)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    actions = [publish_again]
