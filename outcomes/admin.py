"""Administration of procedures and follow-ups: for corrections, every change is in history."""

from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from .models import FollowUp, FollowUpReminder, Procedure, TreatedLevel
from .services.tallies import cohort_tally_kept


class TreatedLevelInline(admin.TabularInline):
    model = TreatedLevel
    extra = 0


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0
    fields = ("interval", "target_date", "status", "assessed_on", "pain_nrs", "recorded_by")
    readonly_fields = ("interval", "target_date", "recorded_by")


@admin.register(Procedure)
class ProcedureAdmin(SimpleHistoryAdmin):
    list_display = ("id", "referral", "performed_on", "had_complications", "baseline_pain_nrs")
    list_filter = ("performed_on", "had_complications", "guidance")
    raw_id_fields = ("referral", "decision", "responsible_radiologist", "recorded_by")
    inlines = [TreatedLevelInline, FollowUpInline]

    # A correction here changes the dashboard's figures: the cohort tally follows it (the
    # admin's change and delete views run in one transaction).
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None or request.method != "POST" or not object_id.isdigit():
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(), cohort_tally_kept(int(object_id)):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj):
        with cohort_tally_kept(obj.pk):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for procedure in queryset:
            self.delete_model(request, procedure)


@admin.register(FollowUpReminder)
class FollowUpReminderAdmin(admin.ModelAdmin):
    list_display = ("follow_up", "recipient", "kind", "created_at", "emailed_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("follow_up", "recipient")
