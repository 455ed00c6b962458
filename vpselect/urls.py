from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

from accounts.views import LoginView

from . import views

# The admin needs a verified second factor; it logs in through VPSelect's own two-step login.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin-login-redirect",
    ),
    path("admin/", admin.site.urls),
    path("", include("patients.urls")),
    path("", include("eligibility.urls")),
    path("", include("governance.urls")),
    path("", include("interop.urls")),
    path("", include("reviews.urls")),
    path("", include("summaries.urls")),
    path("", include("outcomes.urls")),
    path("", include("audit.urls")),
]

handler400 = "vpselect.errors.bad_request"
handler403 = "vpselect.errors.permission_denied"
handler404 = "vpselect.errors.page_not_found"
handler500 = "vpselect.errors.server_error"
