import django_otp
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator

from . import otp
from .forms import LoginForm, TokenForm


class LoginView(auth_views.LoginView):
    """Django's login, with a second step for users who need a TOTP code."""

    form_class = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        if not otp.needs_second_factor(user):
            return super().form_valid(form)
        otp.park_pending_login(self.request, user)
        if otp.confirmed_device(user) is None:
            return redirect("accounts:otp-setup")
        return redirect("accounts:otp-verify")


def _finish(request, user, device):
    otp.complete_login(request, user, device)
    return redirect(reverse("home"))


@method_decorator(login_not_required, name="dispatch")
class OTPVerifyView(auth_views.TemplateView):
    template_name = "registration/otp_verify.html"

    def get(self, request, *args, **kwargs):
        if otp.pending_user(request) is None:
            return redirect("login")
        return render(request, self.template_name, {"form": TokenForm()})

    def post(self, request, *args, **kwargs):
        user = otp.pending_user(request)
        if user is None:
            return redirect("login")
        form = TokenForm(request.POST)
        device = otp.confirmed_device(user)
        if (
            form.is_valid()
            and device is not None
            and device.verify_token(form.cleaned_data["token"])
        ):
            return _finish(request, user, device)
        if form.is_valid():
            form.add_error("token", otp.INVALID_CODE)
        return render(request, self.template_name, {"form": form}, status=400)


@method_decorator(login_not_required, name="dispatch")
class OTPSetupView(auth_views.TemplateView):
    """Set up an authenticator app: during login (superusers must), or from a signed-in page."""

    template_name = "registration/otp_setup.html"

    def _user(self, request):
        if request.user.is_authenticated:
            return request.user
        return otp.pending_user(request)

    def _render(self, request, user, form, status=200):
        device = otp.setup_device(request, user)
        context = {
            "form": form,
            "qr_code": otp.qr_code_data_uri(device),
            "secret": otp.base32_secret(device),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        user = self._user(request)
        if user is None:
            return redirect("login")
        return self._render(request, user, TokenForm())

    def post(self, request, *args, **kwargs):
        user = self._user(request)
        if user is None:
            return redirect("login")
        form = TokenForm(request.POST)
        device = otp.setup_device(request, user)
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            if request.user.is_authenticated:
                request.session.pop(otp.PENDING_DEVICE_KEY, None)
                django_otp.login(request, device)
                return redirect("home")
            return _finish(request, user, device)
        if form.is_valid():
            form.add_error("token", otp.INVALID_CODE)
        return self._render(request, user, form, status=400)
