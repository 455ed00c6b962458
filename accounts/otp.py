"""Two-step login: password first, then a TOTP code for users who have (or must have) one.

Superusers must use a second factor; other roles may turn it on from their account page.
The password step never logs the user in while a code is still owed: it parks the user's id
in the session, and only a valid code completes `login()`.
"""

import base64
import time
from io import BytesIO

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth import get_user_model, login
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_USER_KEY = "vpselect_otp_pending_user"
PENDING_BACKEND_KEY = "vpselect_otp_pending_backend"
PENDING_SINCE_KEY = "vpselect_otp_pending_since"
PENDING_DEVICE_KEY = "vpselect_otp_pending_device"
PENDING_MAX_SECONDS = 5 * 60

INVALID_CODE = _("That code is not valid. Enter the 6-digit code your authenticator app shows now.")


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def needs_second_factor(user) -> bool:
    return user.is_superuser or confirmed_device(user) is not None


def park_pending_login(request, user) -> None:
    """Remember who passed the password step, for a few minutes, without logging them in."""
    request.session.cycle_key()
    request.session[PENDING_USER_KEY] = user.pk
    request.session[PENDING_BACKEND_KEY] = user.backend
    request.session[PENDING_SINCE_KEY] = int(time.time())


def pending_user(request):
    """The user waiting for their second factor, or None when none is (or it has expired)."""
    user_id = request.session.get(PENDING_USER_KEY)
    since = request.session.get(PENDING_SINCE_KEY, 0)
    if user_id is None or time.time() - since > PENDING_MAX_SECONDS:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def setup_device(request, user) -> TOTPDevice:
    """The unconfirmed device being set up in this session (created on first call)."""
    device_id = request.session.get(PENDING_DEVICE_KEY)
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        request.session[PENDING_DEVICE_KEY] = device.pk
    return device


def qr_code_data_uri(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def base32_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def complete_login(request, user, device: TOTPDevice) -> None:
    """Log the parked user in, marked as verified by the device."""
    backend = request.session.get(PENDING_BACKEND_KEY)
    for key in (PENDING_USER_KEY, PENDING_BACKEND_KEY, PENDING_SINCE_KEY, PENDING_DEVICE_KEY):
        request.session.pop(key, None)
    login(request, user, backend=backend)
    django_otp.login(request, device)
