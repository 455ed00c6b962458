"""Administration of procedures and follow-ups: for corrections, every change is in history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import FollowUp, FollowUpReminder, Procedure, TreatedLevel


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


@admin.register(FollowUpReminder)
class FollowUpReminderAdmin(admin.ModelAdmin):
    list_display = ("follow_up", "recipient", "kind", "created_at", "emailed_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("follow_up", "recipient")
