from django.urls import path

from . import api

app_name = "eligibility"

urlpatterns = [
    path("api/evaluate", api.evaluate_case, name="api-evaluate"),
]
