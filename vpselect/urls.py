from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("patients.urls")),
    path("", include("eligibility.urls")),
]

handler403 = "vpselect.errors.permission_denied"
handler404 = "vpselect.errors.page_not_found"
handler500 = "vpselect.errors.server_error"
