from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("outcomes/", views.outcomes_index, name="index"),
    path("outcomes/referrals/<int:referral_id>/", views.referral_outcome, name="referral-outcome"),
    path(
        "outcomes/referrals/<int:referral_id>/procedure/",
        views.procedure_create,
        name="procedure-create",
    ),
    path(
        "outcomes/referrals/<int:referral_id>/pain-chart.svg",
        views.pain_chart,
        name="pain-chart",
    ),
    path(
        "outcomes/follow-ups/<int:follow_up_id>/record/",
        views.follow_up_record,
        name="follow-up-record",
    ),
    path("outcomes/follow-ups/due/", views.follow_ups_due, name="follow-ups-due"),
    path("outcomes/reminders/read/", views.reminders_read, name="reminders-read"),
    path("outcomes/dashboard/", views.dashboard, name="dashboard"),
    path("outcomes/dashboard.csv", views.dashboard_csv, name="dashboard-csv"),
]
