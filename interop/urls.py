from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("api/referrals/<int:pk>/fhir", views.referral_fhir, name="referral-fhir"),
    path("api/schema", views.api_schema, name="api-schema"),
    path("referrals/<int:pk>/export/fhir/", views.referral_export, name="referral-export"),
    path("cds-services", views.cds_discovery, name="cds-discovery"),
    path("cds-services/vertebroplasty-eligibility", views.cds_service, name="cds-service"),
    path(
        "cds-services/vertebroplasty-eligibility/feedback",
        views.cds_feedback,
        name="cds-feedback",
    ),
    path("cds/launch/<uuid:launch_id>", views.cds_launch, name="cds-launch"),
]
