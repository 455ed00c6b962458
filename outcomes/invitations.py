"""Patient-reported outcomes: contact and consent, invitations and reminders, the personal
link, and the patient's answers.

Messages carry no health information: the clinic's name, "your follow-up questionnaire" and
the link. A link's token (256 random bits) is sent once and only its SHA-256 is kept.
Time ("today", "now") is passed in by the caller.
"""

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from patients.models import Patient

from .models import (
    FollowUp,
    FollowUpReminder,
    FollowUpStatus,
    Language,
    PatientContact,
    PatientReport,
    QuestionnaireInvitation,
    QuestionnaireLink,
)
from .questionnaires import DEFAULT_QUESTIONNAIRE, Questionnaire
from .schedule import INTERVALS
from .services import site_url, staff_members
from .services.tallies import cohort_tally_kept
from .sms import send_sms

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32  # 256 bits
REMINDER_DAYS = (2, 7)

CONTACT_REQUIRED = gettext_lazy("Give an e-mail address or a mobile number to contact.")
CONSENT_DATE_REQUIRED = gettext_lazy("Enter the date the patient gave consent.")
CONSENT_DATE_IN_FUTURE = gettext_lazy("The consent date cannot be in the future.")
MOBILE_INVALID = gettext_lazy(
    "Enter the mobile number with its country code, digits only, e.g. +39 333 123 4567."
)
LANGUAGE_INVALID = gettext_lazy("Choose English or Italiano.")
NOT_INVITED = gettext_lazy("This follow-up has no questionnaire invitation to call about.")

_MOBILE = re.compile(r"^\+?[0-9]{8,15}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clinic_name() -> str:
    return settings.VPSELECT_CLINIC_NAME


def clinic_phone() -> str:
    return settings.VPSELECT_CLINIC_PHONE


# --- Contact and consent --------------------------------------------------------------


def normalise_mobile(mobile: str) -> str:
    """The number without spaces, dots, dashes or brackets (what is typed, nothing guessed)."""
    return re.sub(r"[\s.\-()]", "", mobile or "")


@transaction.atomic
def patient_contact_save(
    *,
    patient: Patient,
    by,
    email: str,
    mobile: str,
    preferred_language: str,
    consent_to_contact: bool,
    consent_recorded_on: date | None,
    opted_out: bool,
    today: date,
    now: datetime,
) -> PatientContact:
    """Record how and whether the clinic may contact the patient; saves nothing on error."""
    mobile = normalise_mobile(mobile)
    problems: dict[str, list[str]] = {}
    if mobile and not _MOBILE.match(mobile):
        problems.setdefault("mobile", []).append(str(MOBILE_INVALID))
    if preferred_language not in Language.values:
        problems.setdefault("preferred_language", []).append(str(LANGUAGE_INVALID))
    if consent_to_contact and not (email or mobile):
        problems.setdefault("email", []).append(str(CONTACT_REQUIRED))
    if consent_to_contact and consent_recorded_on is None:
        problems.setdefault("consent_recorded_on", []).append(str(CONSENT_DATE_REQUIRED))
    if consent_recorded_on is not None and consent_recorded_on > today:
        problems.setdefault("consent_recorded_on", []).append(str(CONSENT_DATE_IN_FUTURE))
    if problems:
        raise ValidationError(problems)
    contact = PatientContact.objects.select_for_update().filter(
        patient=patient
    ).first() or PatientContact(patient=patient)
    consent_changed = (
        consent_to_contact != contact.consent_to_contact
        or consent_recorded_on != contact.consent_recorded_on
    )
    contact.email = email
    contact.mobile = mobile
    contact.consent_to_contact = consent_to_contact
    contact.consent_recorded_on = consent_recorded_on if consent_to_contact else None
    if consent_changed:
        contact.consent_recorded_by = by if consent_to_contact else None
    if opted_out and contact.opted_out_at is None:
        contact.opted_out_at = now
        contact.opt_out_source = PatientContact.OptOutSource.STAFF
    elif not opted_out and contact.opted_out_at is not None:
        contact.opted_out_at = None
        contact.opt_out_source = ""
    contact.save()
    if patient.preferred_language != preferred_language:
        # The language is the patient's (patients/languages.py): the summary's patient copy
        # uses it too.
        patient.preferred_language = preferred_language
        # simple-history's documented way to name the user of the next record (untyped).
        patient._history_user = by  # type: ignore[attr-defined]
        patient.save(update_fields=["preferred_language", "updated_at"])
    return contact


# --- Messages -------------------------------------------------------------------------


def questionnaire_url(token: str) -> str:
    return f"{site_url()}{reverse('outcomes:questionnaire-start', args=[token])}"


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str
    sms: str


def message_text(*, message: str, language: str, url: str) -> MessageText:
    """The invitation or reminder in the patient's language: clinic, questionnaire, link."""
    days = settings.VPSELECT_QUESTIONNAIRE_LINK_DAYS
    with translation.override(language):
        names = {"clinic": clinic_name(), "link": url, "days": days}
        if message == QuestionnaireLink.Message.INVITATION:
            subject = _("Your follow-up questionnaire from %(clinic)s") % names
            opening = _("%(clinic)s invites you to fill in your follow-up questionnaire.") % names
            sms = _("%(clinic)s: please fill in your follow-up questionnaire: %(link)s") % names
        else:
            subject = _("Reminder: your follow-up questionnaire from %(clinic)s") % names
            opening = (
                _("A reminder: your follow-up questionnaire from %(clinic)s is still waiting.")
                % names
            )
            sms = _("%(clinic)s reminder: your follow-up questionnaire: %(link)s") % names
        validity = (
            ngettext(
                "The link is personal and works for %(days)d day.",
                "The link is personal and works for %(days)d days.",
                days,
            )
            % names
        )
        body = "\n\n".join(
            [
                _("Hello,"),
                opening + " " + _("It takes about 3 minutes."),
                url,
                validity,
                _("To stop these messages, open the link and choose “Stop messages”."),
                clinic_name(),
            ]
        )
    return MessageText(subject=subject, body=body, sms=sms)


def _send(contact: PatientContact, text: MessageText) -> tuple[bool, bool]:
    """Send by every channel the patient gave; raises OSError when a send fails."""
    by_email = by_sms = False
    if contact.email:
        EmailMessage(subject=text.subject, body=text.body, to=[contact.email]).send()
        by_email = True
    if contact.mobile:
        send_sms(to=contact.mobile, body=text.sms)
        by_sms = True
    return by_email, by_sms


def _link_create(
    invitation: QuestionnaireInvitation, message: str, now: datetime
) -> tuple[QuestionnaireLink, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = QuestionnaireLink.objects.create(
        invitation=invitation,
        token_hash=token_hash(token),
        message=message,
        created_at=now,
        expires_at=now + timedelta(days=settings.VPSELECT_QUESTIONNAIRE_LINK_DAYS),
    )
    return link, token


# --- The daily run --------------------------------------------------------------------


@dataclass
class InvitationRun:
    invited: int = 0
    reminded: int = 0
    failed: int = 0


def _contactable(contact: PatientContact | None) -> bool:
    return contact is not None and contact.may_be_contacted


def follow_ups_to_invite(*, today: date) -> list[FollowUp]:
    """Unrecorded follow-ups due today (not yet overdue), not invited, of consenting patients."""
    # No follow-up stays due longer than the longest grace: older ones need not be read.
    longest_grace = max(interval.grace_days for interval in INTERVALS)
    candidates = (
        FollowUp.objects.exclude(status=FollowUpStatus.COMPLETED)
        .filter(
            target_date__lte=today,
            target_date__gte=today - timedelta(days=longest_grace),
            invitation__isnull=True,
            procedure__referral__patient__contact__consent_to_contact=True,
            procedure__referral__patient__contact__opted_out_at__isnull=True,
        )
        .select_related("procedure__referral__patient__contact")
        .order_by("target_date", "id")
    )
    # Overdue follow-ups are for staff to chase: a patient is not asked about a time long past.
    return [follow_up for follow_up in candidates if today < follow_up.overdue_from()]


def _invite(follow_up_id: int, *, today: date, now: datetime) -> bool:
    with transaction.atomic():
        follow_up = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("procedure__referral__patient__contact")
            .get(pk=follow_up_id)
        )
        if QuestionnaireInvitation.objects.filter(follow_up=follow_up).exists():
            return False
        patient = follow_up.procedure.referral.patient
        contact = patient.contact
        if not _contactable(contact):
            return False
        with cohort_tally_kept(follow_up.procedure_id):
            invitation = QuestionnaireInvitation.objects.create(
                follow_up=follow_up,
                language=patient.preferred_language,
                invited_on=today,
                invited_at=now,
            )
        _link, token = _link_create(invitation, QuestionnaireLink.Message.INVITATION, now)
        text = message_text(
            message=QuestionnaireLink.Message.INVITATION,
            language=patient.preferred_language,
            url=questionnaire_url(token),
        )
        invitation.by_email, invitation.by_sms = _send(contact, text)
        invitation.save(update_fields=["by_email", "by_sms"])
    return True


def invitations_to_remind(*, today: date) -> list[QuestionnaireInvitation]:
    """Unanswered invitations whose 2- or 7-day reminder is due, of patients still reachable."""
    invitations = (
        QuestionnaireInvitation.objects.filter(
            answered_at__isnull=True,
            reminded_7_days_at__isnull=True,
            invited_on__lte=today - timedelta(days=REMINDER_DAYS[0]),
        )
        .exclude(follow_up__status=FollowUpStatus.COMPLETED)
        .select_related("follow_up__procedure__referral__patient__contact")
        .order_by("invited_on", "id")
    )
    return [
        invitation
        for invitation in invitations
        if _contactable(invitation.follow_up.procedure.referral.patient.contact)
        and _reminder_due(invitation, today) is not None
    ]


def _reminder_due(invitation: QuestionnaireInvitation, today: date) -> str | None:
    """Which reminder is due today, if any: at most one per run, the 2-day one first."""
    waited = (today - invitation.invited_on).days
    if invitation.reminded_2_days_at is None and waited >= REMINDER_DAYS[0]:
        return QuestionnaireLink.Message.REMINDER_2_DAYS
    if (
        invitation.reminded_2_days_at is not None
        and invitation.reminded_7_days_at is None
        and waited >= REMINDER_DAYS[1]
    ):
        return QuestionnaireLink.Message.REMINDER_7_DAYS
    return None


def _remind(invitation_id: int, *, today: date, now: datetime) -> bool:
    with transaction.atomic():
        invitation = (
            QuestionnaireInvitation.objects.select_for_update(of=("self",))
            .select_related("follow_up__procedure__referral__patient__contact")
            .get(pk=invitation_id)
        )
        patient = invitation.follow_up.procedure.referral.patient
        contact = patient.contact
        message = _reminder_due(invitation, today)
        if invitation.answered_at is not None or message is None or not _contactable(contact):
            return False
        _link, token = _link_create(invitation, message, now)
        text = message_text(
            message=message, language=patient.preferred_language, url=questionnaire_url(token)
        )
        _send(contact, text)
        if message == QuestionnaireLink.Message.REMINDER_2_DAYS:
            invitation.reminded_2_days_at = now
            invitation.save(update_fields=["reminded_2_days_at"])
        else:
            invitation.reminded_7_days_at = now
            invitation.save(update_fields=["reminded_7_days_at"])
    return True


def invitations_send(*, today: date, now: datetime) -> InvitationRun:
    """Invite patients whose follow-up fell due and remind those who have not answered.

    Each message is sent in its own transaction with its record, so a failed send saves
    nothing and the next run tries again; a second run on the same day sends nothing twice.
    """
    run = InvitationRun()
    for follow_up in follow_ups_to_invite(today=today):
        try:
            run.invited += _invite(follow_up.pk, today=today, now=now)
        except OSError:
            run.failed += 1
            logger.warning("Questionnaire invitation for follow-up #%s not sent.", follow_up.pk)
    for invitation in invitations_to_remind(today=today):
        try:
            run.reminded += _remind(invitation.pk, today=today, now=now)
        except OSError:
            run.failed += 1
            logger.warning("Questionnaire reminder for invitation #%s not sent.", invitation.pk)
    return run


# --- The link -------------------------------------------------------------------------


class LinkState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkCheck:
    state: LinkState
    link: QuestionnaireLink | None = None

    @property
    def contact(self) -> PatientContact | None:
        if self.link is None:
            return None
        return self.link.invitation.follow_up.procedure.referral.patient.contact

    @property
    def patient(self) -> Patient | None:
        if self.link is None:
            return None
        return self.link.invitation.follow_up.procedure.referral.patient

    @property
    def language(self) -> str | None:
        patient = self.patient
        return patient.preferred_language if patient is not None else None


def _links():
    return QuestionnaireLink.objects.select_related(
        "invitation__follow_up__procedure__referral__patient__contact"
    )


def _state(link: QuestionnaireLink, now: datetime) -> LinkState:
    contact = link.invitation.follow_up.procedure.referral.patient.contact
    if link.used_at is not None or link.invitation.answered_at is not None:
        return LinkState.USED
    if contact.opted_out_at is not None:
        return LinkState.OPTED_OUT
    if now >= link.expires_at:
        return LinkState.EXPIRED
    return LinkState.OPEN


def link_check(*, token: str, now: datetime) -> LinkCheck:
    """What a token opens: the link and its state (unknown tokens have no link)."""
    if not token or len(token) > 100:
        return LinkCheck(LinkState.UNKNOWN)
    link = _links().filter(token_hash=token_hash(token)).first()
    if link is None:
        return LinkCheck(LinkState.UNKNOWN)
    return LinkCheck(_state(link, now), link)


def link_open(*, token: str, now: datetime) -> LinkCheck:
    """`link_check`, noting when an open link was first opened."""
    check = link_check(token=token, now=now)
    link = check.link  # an open link is always a found one
    if check.state == LinkState.OPEN and link is not None and link.first_opened_at is None:
        QuestionnaireLink.objects.filter(pk=link.pk, first_opened_at__isnull=True).update(
            first_opened_at=now
        )
    return check


class LinkNotOpen(Exception):
    def __init__(self, check: LinkCheck):
        super().__init__(check.state)
        self.check = check


@transaction.atomic
def questionnaire_answer(
    *,
    token: str,
    answers: dict[str, str],
    now: datetime,
    questionnaire: Questionnaire = DEFAULT_QUESTIONNAIRE,
) -> PatientReport:
    """Store the patient's answers, close every link of the invitation, and flag the
    follow-up for a call when an answer needs one. Raises LinkNotOpen otherwise."""
    hashed = token_hash(token)
    link = _links().filter(token_hash=hashed).first()
    if link is None:
        raise LinkNotOpen(LinkCheck(LinkState.UNKNOWN))
    # Lock the invitation: two tabs submitting at once store one answer.
    invitation = QuestionnaireInvitation.objects.select_for_update().get(pk=link.invitation_id)
    link.invitation = invitation
    link.invitation.follow_up = FollowUp.objects.select_related(
        "procedure__referral__patient__contact", "procedure__responsible_radiologist"
    ).get(pk=invitation.follow_up_id)
    check = LinkCheck(_state(link, now), link)
    if check.state != LinkState.OPEN:
        raise LinkNotOpen(check)
    follow_up = invitation.follow_up
    needs_call = questionnaire.needs_call(answers)
    pain_now = answers.get("pain_now")
    with cohort_tally_kept(follow_up.procedure_id):
        report = PatientReport.objects.create(
            follow_up=follow_up,
            questionnaire_key=questionnaire.key,
            questionnaire_version=questionnaire.version,
            answers=answers,
            language=check.language or Language.ENGLISH,
            submitted_at=now,
            pain_now_nrs=int(pain_now) if pain_now not in (None, "") else None,
            needs_call=needs_call,
            reminders_before=invitation.reminders_sent,
            after_call=invitation.called_at is not None,
        )
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    QuestionnaireLink.objects.filter(invitation=invitation).update(used_at=now)
    if needs_call:
        follow_up.needs_call = True
        follow_up.save(update_fields=["needs_call"])
        recipients = set(staff_members().values_list("id", flat=True))
        radiologist = follow_up.procedure.responsible_radiologist
        if radiologist is not None and radiologist.is_active:
            recipients.add(radiologist.pk)
        FollowUpReminder.objects.bulk_create(
            [
                FollowUpReminder(
                    recipient_id=user_id,
                    follow_up=follow_up,
                    kind=FollowUpReminder.Kind.NEEDS_CALL,
                )
                for user_id in sorted(recipients)
            ],
            ignore_conflicts=True,
        )
    return report


@transaction.atomic
def contact_opt_out_by_link(*, token: str, now: datetime) -> LinkCheck:
    """Stop all messages to the patient of any known link (used or expired too)."""
    check = link_check(token=token, now=now)
    known = check.contact  # None for an unknown token
    if known is None:
        return check
    contact = PatientContact.objects.select_for_update().get(pk=known.pk)
    if contact.opted_out_at is None:
        contact.opted_out_at = now
        contact.opt_out_source = PatientContact.OptOutSource.LINK
        contact.save(update_fields=["opted_out_at", "opt_out_source", "updated_at"])
    return link_check(token=token, now=now)


@transaction.atomic
def follow_up_mark_called(*, follow_up: FollowUp, by, now: datetime) -> QuestionnaireInvitation:
    """Note that staff called the patient about this follow-up; clears "needs a call"."""
    invitation = (
        QuestionnaireInvitation.objects.select_for_update().filter(follow_up=follow_up).first()
    )
    if invitation is None:
        raise ValidationError(str(NOT_INVITED))
    invitation.called_at = now
    invitation.called_by = by
    invitation.save(update_fields=["called_at", "called_by"])
    if follow_up.needs_call:
        follow_up.needs_call = False
        follow_up.save(update_fields=["needs_call"])
    return invitation
