from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/two-factor/verify/", views.OTPVerifyView.as_view(), name="otp-verify"),
    path("accounts/two-factor/setup/", views.OTPSetupView.as_view(), name="otp-setup"),
    path("accounts/language/", views.language_set, name="language"),
]
