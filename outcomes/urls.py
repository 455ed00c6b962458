from django.urls import path

from . import questionnaire_views, views

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
    path(
        "outcomes/follow-ups/overdue-older/",
        views.follow_ups_due,
        {"older": True},
        name="follow-ups-older",
    ),
    path("outcomes/reminders/read/", views.reminders_read, name="reminders-read"),
    path("outcomes/dashboard/", views.dashboard, name="dashboard"),
    path("outcomes/dashboard.csv", views.dashboard_csv, name="dashboard-csv"),
    path(
        "outcomes/referrals/<int:referral_id>/contact/",
        views.patient_contact,
        name="patient-contact",
    ),
    path(
        "outcomes/follow-ups/<int:follow_up_id>/called/",
        views.follow_up_called,
        name="follow-up-called",
    ),
    # The patient's pages: no account, a personal link (short, it goes in an SMS).
    path("q/", questionnaire_views.questionnaire, name="questionnaire"),
    path("q/thanks/", questionnaire_views.questionnaire_thanks, name="questionnaire-thanks"),
    path("q/stop/", questionnaire_views.questionnaire_opt_out, name="questionnaire-opt-out"),
    path("q/<str:token>/", questionnaire_views.questionnaire_start, name="questionnaire-start"),
]
