"""Writes on accounts: enrolling a second factor."""

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from audit.services import audit_record

from .models import Preferences

logger = logging.getLogger(__name__)


def _enrolment_email(user) -> EmailMessage:
    subject = _("VPSelect: a new authenticator app was set up for your account")
    body = _(
        "A new authenticator app was just set up as the second factor of your VPSelect "
        "account (%(username)s).\n\nIf this was not you, tell your administrator at once: "
        "they will reset your second factor and your password."
    ) % {"username": user.get_username()}
    return EmailMessage(subject=subject, body=body, to=[user.email])


def _send_enrolment_email(user) -> None:
    try:
        _enrolment_email(user).send()
    except Exception:  # noqa: BLE001 - the enrolment stands; the failure is logged, not hidden
        logger.warning("Could not e-mail user %s about a new second factor.", user.pk)


@transaction.atomic
def device_enrol(*, request: HttpRequest, user, device: TOTPDevice) -> TOTPDevice:
    """Confirm a newly set up device, record the enrolment and e-mail its owner."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Devices left unconfirmed by abandoned set-ups are no use to anyone.
    TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
    audit_record(
        action=AuditEvent.Action.OTP_ENROL,
        user=user,
        obj=device,
        request=request,
    )
    if user.email:
        transaction.on_commit(lambda: _send_enrolment_email(user))
    return device


@transaction.atomic
def preferences_set_language(*, user, language: str) -> Preferences:
    """Save the user's interface language ("" follows the browser again)."""
    preferences, _created = Preferences.objects.select_for_update().get_or_create(user=user)
    if preferences.language != language:
        preferences.language = language
        preferences.save(update_fields=["language"])
    return preferences
