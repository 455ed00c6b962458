from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.worklist, name="worklist"),
    path("reviews/clear-filters", views.worklist_clear, name="worklist-clear"),
    path("reviews/referrals/<int:referral_id>/", views.review, name="review"),
    path("reviews/referrals/<int:referral_id>/claim", views.claim, name="claim"),
    path("reviews/referrals/<int:referral_id>/decide", views.decide, name="decide"),
    path("reviews/decisions/<int:decision_id>/countersign", views.countersign, name="countersign"),
    path(
        "reviews/decisions/<int:decision_id>/refuse",
        views.countersign_refuse,
        name="countersign-refuse",
    ),
    path(
        "referrals/<int:referral_id>/answer",
        views.information_reply,
        name="information-reply",
    ),
    path(
        "attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/unread", views.unread_count, name="unread-count"),
    path("notifications/read-all", views.notifications_read_all, name="notifications-read-all"),
    path(
        "notifications/<int:notification_id>/open",
        views.notification_open,
        name="notification-open",
    ),
]
