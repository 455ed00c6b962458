from django.urls import path

from . import views

app_name = "governance"

# The paths are those of the days governance lived in eligibility: bookmarks keep working.
urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/versions/new", views.version_create, name="version-create"),
    path("rules/versions/<int:version_id>/", views.version_detail, name="version-detail"),
    path("rules/versions/<int:version_id>/replay", views.version_replay, name="version-replay"),
    path("rules/versions/<int:version_id>/approve", views.version_approve, name="version-approve"),
    path(
        "rules/versions/<int:version_id>/activate", views.version_activate, name="version-activate"
    ),
    path("rules/replays/<int:replay_id>/progress", views.replay_progress, name="replay-progress"),
    path("rules/replays/<int:replay_id>/changes.csv", views.replay_csv, name="replay-csv"),
    path(
        "rules/referrals/<int:referral_id>/reevaluate",
        views.referral_reevaluate_view,
        name="referral-reevaluate",
    ),
]
