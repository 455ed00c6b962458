import django_otp
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from audit.models import AuditEvent
from audit.services import audit_record
from vpselect.clientip import client_ip

from . import otp
from .forms import LanguageForm, LoginForm, TokenForm
from .language import remember as language_remember
from .services import device_enrol, preferences_set_language


def _record_failed_code(request, user) -> None:
    """A wrong code during login: the middleware skips anonymous requests, so write it here."""
    audit_record(
        action=AuditEvent.Action.OTP_FAILED,
        outcome=AuditEvent.Outcome.FAILED,
        username=user.get_username(),
        request=request,
        status_code=400,
    )


def _address_locked_out(request) -> bool:
    """True when this address failed to log in too often lately, whatever the usernames.

    Counted from the audit trail, so every worker process sees the same count.
    """
    ip = client_ip(request)
    if ip is None:
        return False
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED, occurred_at__gte=since, ip=ip
    ).count()
    return failures >= settings.VPSELECT_LOGIN_IP_FAILURE_LIMIT


class LoginView(auth_views.LoginView):
    """Django's login, with a second step for users who need a TOTP code."""

    form_class = LoginForm

    def post(self, request, *args, **kwargs):
        if _address_locked_out(request):
            audit_record(
                action=AuditEvent.Action.LOCKOUT,
                outcome=AuditEvent.Outcome.DENIED,
                username=str(request.POST.get("username", ""))[:150],
                request=request,
                status_code=429,
                details={"scope": "address"},
            )
            context = {"address_locked": True}
            return render(request, "registration/locked_out.html", context, status=429)
        return super().post(request, *args, **kwargs)

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
class OTPVerifyView(TemplateView):
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
        _record_failed_code(request, user)
        return render(request, self.template_name, {"form": form}, status=400)


@method_decorator(login_not_required, name="dispatch")
class OTPSetupView(TemplateView):
    """Enrol an authenticator app: a user who has none, signed in or half-way through login.

    A user who already has one never gets a new secret here (an administrator resets it), so a
    password alone can never enrol the attacker's device.
    """

    template_name = "registration/otp_setup.html"

    def _render(self, request, user, form, status=200):
        device = otp.setup_device(request, user)
        context = {
            "form": form,
            "qr_code": otp.qr_code_data_uri(device),
            "secret": otp.base32_secret(device),
        }
        return render(request, self.template_name, context, status=status)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            user = request.user
        else:
            user = otp.pending_user(request)
            if user is None:
                return redirect("login")
        if otp.confirmed_device(user) is not None:
            if not request.user.is_authenticated:
                return redirect("accounts:otp-verify")
            if request.method == "POST":
                raise PermissionDenied
            return render(request, "registration/otp_enrolled.html")
        self.enrolling_user = user
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self._render(request, self.enrolling_user, TokenForm())

    def post(self, request, *args, **kwargs):
        user = self.enrolling_user
        form = TokenForm(request.POST)
        device = otp.setup_device(request, user)
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            device_enrol(request=request, user=user, device=device)
            if request.user.is_authenticated:
                request.session.pop(otp.PENDING_DEVICE_KEY, None)
                django_otp.login(request, device)
                return redirect("home")
            return _finish(request, user, device)
        if form.is_valid():
            form.add_error("token", otp.INVALID_CODE)
        if not request.user.is_authenticated:
            _record_failed_code(request, user)
        return self._render(request, user, form, status=400)


@require_POST
def language_set(request):
    """The navigation's language switch: saved in the user's preferences, the session, a cookie."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose a language from the list (field: language)."))
    language = form.cleaned_data["language"]
    preferences_set_language(user=request.user, language=language)
    language_remember(request, language)
    next_url = form.cleaned_data["next"]
    # Back to the page the switch was on: a path of this site only, never a view name or
    # another host (redirect() would read "0" as a view name and answer 500).
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    response = HttpResponseRedirect(next_url)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
