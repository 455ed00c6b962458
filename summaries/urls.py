from django.urls import path

from . import views

app_name = "summaries"

urlpatterns = [
    path("summaries/", views.PrintQueueView.as_view(), name="queue"),
    path("summaries/<int:pk>/", views.document_detail, name="document"),
    path("summaries/<int:pk>/status/", views.document_status, name="status"),
    path(
        "summaries/<int:pk>/pdf/",
        views.document_file,
        {"as_attachment": False},
        name="open",
    ),
    path(
        "summaries/<int:pk>/download/",
        views.document_file,
        {"as_attachment": True},
        name="download",
    ),
    path("summaries/<int:pk>/printed/", views.document_mark_printed, name="mark-printed"),
    path(
        "referrals/<int:referral_id>/summary/",
        views.referral_summary,
        name="referral-summary",
    ),
    path(
        "referrals/<int:referral_id>/summary/pdf/",
        views.referral_summary_generate,
        name="generate",
    ),
]
