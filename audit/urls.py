from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.event_list, name="events"),
    path("audit/export.csv", views.event_export, name="export"),
]
