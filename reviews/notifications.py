"""Who is told about an outbox event, and the words: in-app text and e-mails without PHI.

E-mails carry a referral number and a link, never patient data: the reader signs in to see
the rest. In-app text is built when shown, from the ids the notification points to.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from accounts.roles import Role, group_name
from patients.models import Referral

from .models import Notification, NotificationKind, OutboxMessage, ReviewDecision

K = NotificationKind
PRIVACY_NOTE = "For patient privacy this e-mail contains no patient data; sign in to see it."
OUTCOME_PAST: dict[str, str] = {
    ReviewDecision.Outcome.ACCEPT: "accepted",
    ReviewDecision.Outcome.DECLINE: "declined",
    ReviewDecision.Outcome.REQUEST_INFORMATION: "asked for more information on",
}


@dataclass(frozen=True)
class NotificationTarget:
    referral_id: int
    decision_id: int | None
    recipients: list


def radiologists():
    """Active users holding the radiologist role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=group_name(Role.RADIOLOGIST))
        .distinct()
    )


def notification_recipients(message: OutboxMessage) -> NotificationTarget:
    """The referral, decision and users an outbox message is for, read at delivery time."""
    payload = message.payload
    if message.kind in {K.REFERRAL_SUBMITTED, K.REFERRAL_RESUBMITTED, K.RULES_CHANGED}:
        referral = Referral.objects.select_related("assigned_radiologist").get(
            pk=payload["referral_id"]
        )
        # A resubmission answers one radiologist's question, and a rules change concerns the
        # radiologist reviewing the referral: tell that radiologist.
        if message.kind != K.REFERRAL_SUBMITTED and referral.assigned_radiologist_id:
            recipients = [referral.assigned_radiologist]
        else:
            recipients = list(radiologists())
        return NotificationTarget(referral.pk, None, recipients)
    decision = ReviewDecision.objects.select_related("referral__physician", "decided_by").get(
        pk=payload["decision_id"]
    )
    if message.kind == K.COUNTERSIGNATURE_NEEDED:
        recipients = list(radiologists().exclude(pk=decision.decided_by_id))
    elif message.kind == K.COUNTERSIGNATURE_REFUSED:
        recipients = [decision.decided_by]
    else:
        recipients = [decision.referral.physician]
    return NotificationTarget(decision.referral_id, decision.pk, recipients)


def referrer_url(referral_id: int) -> str:
    """The referring physician's page of a referral (the notifications list until it exists)."""
    try:
        return reverse("patients:referral-detail", args=[referral_id])
    except NoReverseMatch:
        return reverse("reviews:notifications")


def notification_url(notification: Notification) -> str:
    """Where opening a notification leads: the review page or the referrer's referral page."""
    if notification.kind in {K.DECISION_RECORDED, K.INFORMATION_REQUESTED}:
        return referrer_url(notification.referral_id)
    if notification.kind == K.COUNTERSIGNATURE_NEEDED and notification.decision_id:
        return reverse("reviews:countersign", args=[notification.decision_id])
    return reverse("reviews:review", args=[notification.referral_id])


def notification_text(notification: Notification) -> str:
    """One sentence for the in-app list; reads the referral, patient and decision."""
    referral = notification.referral
    patient = referral.patient
    who = f"referral #{referral.pk} ({patient.family_name}, {patient.given_name})"
    kind = notification.kind
    if kind == K.REFERRAL_SUBMITTED:
        flag = " — flagged for review" if referral.flagged else ""
        return f"New {who} submitted{flag}."
    if kind == K.REFERRAL_RESUBMITTED:
        return f"The referrer answered your information request: {who} resubmitted."
    if kind == K.RULES_CHANGED:
        text = gettext("Under the newly active rules the recommendation of %(who)s would change.")
        return text % {"who": who}
    decision = notification.decision
    if kind == K.COUNTERSIGNATURE_NEEDED:
        return f"An override on {who} needs your countersignature."
    if kind == K.COUNTERSIGNATURE_REFUSED:
        text = gettext(
            "A second radiologist refused to countersign your override on %(who)s: "
            "read the reason and correct the decision."
        )
        return text % {"who": who}
    if kind == K.INFORMATION_REQUESTED:
        reason = decision.reason_label if decision and decision.reason_code_id else ""
        text = f"A radiologist asks for more information on {who}: {reason}".rstrip(": ") + "."
        # The question in the radiologist's words: in the app only, never in the e-mail.
        if decision and decision.comment:
            text += " " + gettext("Question: “%(question)s”") % {"question": decision.comment}
        return text
    outcome = OUTCOME_PAST.get(decision.outcome, decision.outcome) if decision else "decided"
    return f"A radiologist {outcome} {who}."


def _absolute(path: str) -> str:
    base = getattr(settings, "VPSELECT_PUBLIC_URL", "") or "http://127.0.0.1:8000"
    return base.rstrip("/") + path


def notification_email(notification: Notification) -> EmailMessage:
    """The e-mail for one notification: referral number and link only."""
    number = notification.referral_id
    kind = notification.kind
    link = _absolute(notification_url(notification))
    if kind in {K.REFERRAL_SUBMITTED, K.REFERRAL_RESUBMITTED}:
        flagged = notification.referral.flagged
        verb = "resubmitted" if kind == K.REFERRAL_RESUBMITTED else "submitted"
        subject = f"VPSelect: referral #{number} {verb}" + (
            " [FLAGGED for review]" if flagged else ""
        )
        lines = [f"Referral #{number} was {verb} for a vertebroplasty review."]
        if flagged:
            lines.append(
                "The eligibility engine flagged it for a radiologist's review "
                "(a relative contraindication is met)."
            )
    elif kind == K.RULES_CHANGED:
        subject = gettext(
            "VPSelect: the active rules change the recommendation of referral #%(number)s"
        ) % {"number": number}
        lines = [
            gettext(
                "A new ruleset version is active. Under it the recommendation of referral "
                "#%(number)s would change; re-evaluate it under the active rules from its "
                "review page."
            )
            % {"number": number}
        ]
    elif kind == K.COUNTERSIGNATURE_NEEDED:
        subject = f"VPSelect: countersignature needed on referral #{number}"
        lines = [
            f"A radiologist accepted a level of referral #{number} despite an absolute "
            "contraindication. The decision takes effect once a second radiologist countersigns."
        ]
    elif kind == K.COUNTERSIGNATURE_REFUSED:
        subject = gettext("VPSelect: countersignature refused on referral #%(number)s") % {
            "number": number
        }
        lines = [
            gettext(
                "A second radiologist refused to countersign your override on referral "
                "#%(number)s. Read the reason on the review page and correct the decision."
            )
            % {"number": number}
        ]
    elif kind == K.INFORMATION_REQUESTED:
        subject = f"VPSelect: information requested on referral #{number}"
        lines = [
            f"An interventional radiologist asks for more information on referral #{number}. "
            "Please answer by editing and resubmitting the referral."
        ]
    else:
        subject = f"VPSelect: decision on referral #{number}"
        lines = [f"An interventional radiologist has decided on referral #{number}."]
    body = "\n\n".join([*lines, f"Open it in VPSelect: {link}", PRIVACY_NOTE])
    return EmailMessage(subject=subject, body=body, to=[notification.recipient.email])
