from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", views.patient_update, name="patient-update"),
    path(
        "patients/<int:patient_pk>/referrals/new/",
        views.referral_create,
        name="referral-create",
    ),
    path(
        "patients/<int:patient_pk>/referrals/new/evaluate/",
        views.referral_live_new,
        name="referral-live-new",
    ),
    path(
        "patients/<int:patient_pk>/referrals/new/autosave/",
        views.referral_autosave_new,
        name="referral-autosave-new",
    ),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/session/keepalive/", views.session_keepalive, name="session-keepalive"),
    path("referrals/levels/new/", views.level_form, name="level-form"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral-edit"),
    path("referrals/<int:pk>/evaluate/", views.referral_live, name="referral-live"),
    path("referrals/<int:pk>/autosave/", views.referral_autosave, name="referral-autosave"),
]
