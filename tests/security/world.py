"""One shared data set for the security tests: a user per role and, for each of two referring
physicians, a patient with referrals in every state, built through the apps' own services.

Physician A's patient carries the canary name and MRN that must never reach a log line, a URL
or a Celery message. Everything is made inside the caller's transaction (rolled back later).
"""

import copy
import datetime as dt
import importlib
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookies import SimpleCookie

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import SESSION_LAST_ACTIVITY_KEY, SESSION_STARTED_KEY
from accounts.roles import Role, group_name
from interop.models import CdsEvaluation, CdsFeedback, CdsLaunch
from interop.services import referral_create_from_launch
from outcomes.models import FollowUpReminder
from outcomes.services import TreatedLevelInput, procedure_record
from reviews.attachments import check_attachment
from reviews.models import Notification, NotificationKind, OutboxMessage, ReasonCode
from reviews.outbox import outbox_deliver
from reviews.services import decision_countersign, information_reply_create, referral_claim
from summaries.models import SummaryDocument
from summaries.services import summary_render
from tests.factories import (
    ELIGIBLE_CASE,
    case_with,
    make_patient,
    make_referral,
    record_decision,
)

PASSWORD = "a-long-test-password"
ROLES = ("anonymous", "physician_a", "physician_b", "radiologist", "staff", "superuser")

# What must never leave the database: physician A's patient and a radiologist's free text.
CANARY_GIVEN = "Canarina"
CANARY_FAMILY = "Quokkanary"
CANARY_MRN = "CNRY-48213"
CANARY_DOB = dt.date(1931, 7, 19)
CANARY_COMMENT = "Tweetfragment canary comment on the retropulsed wall"
CANARIES = (CANARY_GIVEN, CANARY_FAMILY, CANARY_MRN, CANARY_DOB.isoformat(), "Tweetfragment")

# A 1×1 PNG, as a physician's attachment.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478"
    "9c63f8ffff3f0005fe02fe0def46b80000000049454e44ae426082"
)

ABSOLUTE_CASE = case_with(systemic_infection=True)  # not eligible: an absolute contraindication


@dataclass
class Bundle:
    """One referring physician's patient and objects in each state."""

    physician: object
    patient: object = None
    draft: object = None
    submitted: object = None
    claimed: object = None  # under review by the radiologist, no decision yet
    awaiting: object = None  # accepted, no procedure yet
    accepted: object = None  # accepted, procedure recorded
    pending_decision: object = None  # an override waiting for a countersignature
    document: object = None  # the accepted referral's current summary (PDF ready)
    follow_up: object = None
    launch: object = None  # a CDS launch this physician opened
    information_requested: object = None  # the radiologist asked; the physician answered
    attachment: object = None  # the file sent with that answer


@dataclass
class World:
    users: dict
    bundles: dict  # "a" / "b" -> Bundle
    notifications: dict = field(default_factory=dict)  # role -> the user's own notification
    helpers: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)  # role -> session key (signed in)
    _clients: dict = field(default_factory=dict)

    def client(self, role: str, **kwargs) -> Client:
        """A test client signed in as the role (anonymous: no session), cookies fresh.

        Clients are kept per role: a new one would load the middleware (and WhiteNoise's
        file scan) again on its first request.
        """
        key = (role, tuple(sorted(kwargs.items())))
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = Client(**kwargs)
        client.cookies = SimpleCookie()
        if role != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return client

    def owner_letter(self, role: str) -> str:
        """Whose objects are the role's own: physician B's are B's, everybody else's A's."""
        return "b" if role == "physician_b" else "a"


def _user(username, role=None, *, superuser=False, first="Test", last="User"):
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        first_name=first,
        last_name=last,
    )
    if superuser:
        user.is_superuser = user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    if role is not None:
        user.groups.add(Group.objects.get(name=group_name(role)))
    return user


def _session(user, device=None) -> str:
    client = Client()
    client.force_login(user)
    session = client.session
    # Stamped now: a session stamped by its first request would be written by every request
    # of the sweep (each one is rolled back).
    session[SESSION_STARTED_KEY] = session[SESSION_LAST_ACTIVITY_KEY] = int(time.time())
    if device is not None:
        # What the two-step login stores once the code is verified.
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return session.session_key


def _deliver_outbox() -> None:
    """What the worker does after the commit (on-commit hooks do not run in this transaction)."""
    for message_id in OutboxMessage.objects.filter(sent_at__isnull=True).values_list(
        "id", flat=True
    ):
        outbox_deliver(message_id=message_id)


def _accept(referral, *, by, levels=("L2",)):
    decision = record_decision(
        referral, by=by, claim=True, outcome="accept", levels_to_treat=list(levels)
    )
    referral.refresh_from_db()
    return decision


def _bundle(letter: str, physician, *, radiologist, today, canary: bool) -> Bundle:
    names = (
        {"given_name": CANARY_GIVEN, "family_name": CANARY_FAMILY, "mrn": CANARY_MRN}
        if canary
        else {"given_name": "Bertha", "family_name": "Otherpatient", "mrn": f"MRN-B-{letter}"}
    )
    patient = make_patient(by=physician, date_of_birth=CANARY_DOB, **names)
    bundle = Bundle(physician=physician, patient=patient)
    bundle.draft = make_referral(physician=physician, patient=patient)
    bundle.submitted = make_referral(physician=physician, patient=patient, submit=True)
    bundle.claimed = make_referral(physician=physician, patient=patient, submit=True)
    referral_claim(referral=bundle.claimed, by=radiologist)
    bundle.awaiting = make_referral(physician=physician, patient=patient, submit=True)
    _accept(bundle.awaiting, by=radiologist)
    bundle.accepted = make_referral(physician=physician, patient=patient, submit=True)
    _accept(bundle.accepted, by=radiologist)
    procedure = procedure_record(
        referral=bundle.accepted,
        by=radiologist,
        performed_on=today,
        levels=[TreatedLevelInput("L2", Decimal("3.0"), "transpedicular")],
        guidance="fluoroscopy",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=today,
    )
    bundle.follow_up = procedure.follow_ups.order_by("target_date").first()
    document = SummaryDocument.objects.filter(
        referral=bundle.accepted, superseded_by__isnull=True
    ).get()
    bundle.document = summary_render(document_id=document.pk)
    pending = make_referral(
        physician=physician, patient=patient, case=copy.deepcopy(ABSOLUTE_CASE), submit=True
    )
    bundle.pending_decision = record_decision(
        pending,
        by=radiologist,
        claim=True,
        outcome="accept",
        levels_to_treat=["L2"],
        override_reason=ReasonCode.objects.get(code="clinical-judgement"),
        comment=CANARY_COMMENT if canary else "Infection treated, reviewed with microbiology.",
    )
    asked = make_referral(physician=physician, patient=patient, submit=True)
    record_decision(
        asked,
        by=radiologist,
        claim=True,
        outcome="request_information",
        reason_code=ReasonCode.objects.get(code="needs-coagulation"),
        comment="Please send the latest INR.",
    )
    asked.refresh_from_db()
    reply = information_reply_create(
        referral=asked,
        by=physician,
        text="INR attached.",
        files=[check_attachment(SimpleUploadedFile("inr.png", TINY_PNG))],
    )
    bundle.information_requested = asked
    bundle.attachment = reply.attachments.get()
    launch = CdsLaunch.objects.create(
        patient={
            "mrn": patient.mrn,
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "sex": patient.sex,
        },
        case=copy.deepcopy(ELIGIBLE_CASE),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    referral_create_from_launch(launch_id=launch.pk, by=physician, now=timezone.now())
    launch.refresh_from_db()
    bundle.launch = launch
    return bundle


def build_world() -> World:
    """Users of every role (signed in; the superuser verified by TOTP) and their objects."""
    seed = importlib.import_module("reviews.migrations.0002_seed_reason_codes")
    seed.seed(apps, None)  # a transactional test elsewhere may have flushed the seed rows
    today = timezone.localdate()
    users = {
        "physician_a": _user("sec-dr-a", Role.PHYSICIAN, first="Paula", last="Alpha"),
        "physician_b": _user("sec-dr-b", Role.PHYSICIAN, first="Omar", last="Beta"),
        "radiologist": _user("sec-ir", Role.RADIOLOGIST, first="Rita", last="Ray"),
        "staff": _user("sec-staff", Role.STAFF, first="Sam", last="Staff"),
        "superuser": _user("sec-admin", superuser=True, first="Ada", last="Admin"),
    }
    radiologist2 = _user("sec-ir-2", Role.RADIOLOGIST, first="Hugo", last="Second")
    device = TOTPDevice.objects.create(user=users["superuser"], name="phone", confirmed=True)
    bundles = {
        "a": _bundle(
            "a", users["physician_a"], radiologist=users["radiologist"], today=today, canary=True
        ),
        "b": _bundle(
            "b", users["physician_b"], radiologist=users["radiologist"], today=today, canary=False
        ),
    }
    # One countersigned override, so the admin's countersignature pages have a row to show.
    countersigned = make_referral(
        physician=users["physician_b"],
        patient=bundles["b"].patient,
        case=copy.deepcopy(ABSOLUTE_CASE),
        submit=True,
    )
    decision = record_decision(
        countersigned,
        by=radiologist2,
        claim=True,
        outcome="accept",
        levels_to_treat=["L2"],
        override_reason=ReasonCode.objects.get(code="clinical-judgement"),
        comment="Reviewed at the multidisciplinary meeting.",
    )
    decision_countersign(decision=decision, by=users["radiologist"], comment="Agreed.")
    _deliver_outbox()
    notifications = {}
    for role, user in users.items():
        notification = Notification.objects.filter(recipient=user).first()
        if notification is None:  # staff and the administrator are not notified by the flow
            notification = Notification.objects.create(
                recipient=user,
                kind=NotificationKind.DECISION_RECORDED,
                referral=bundles["a"].accepted,
            )
        notifications[role] = notification
    FollowUpReminder.objects.create(
        recipient=users["staff"],
        follow_up=bundles["a"].follow_up,
        kind=FollowUpReminder.Kind.DUE,
    )
    # A CDS card and the clinician's feedback on it, for the admin's pages.
    evaluation = CdsEvaluation.objects.create(
        service_id="vertebroplasty-eligibility",
        hook="order-sign",
        hook_instance=str(uuid.uuid4()),
        evaluated_on=today,
        ruleset_version="test",
        case={},
        recommendation="incomplete",
        indicator=CdsEvaluation.Indicator.WARNING,
        card={"summary": "Incomplete"},
    )
    CdsFeedback.objects.create(
        evaluation=evaluation, outcome=CdsFeedback.Outcome.ACCEPTED, outcome_at=timezone.now()
    )
    # Rows for the admin's django-axes pages.
    AccessAttempt.objects.create(
        username="sec-dr-a", ip_address="10.0.0.9", user_agent="test", failures_since_start=1
    )
    AccessLog.objects.create(username="sec-dr-a", ip_address="10.0.0.9", user_agent="test")
    AccessFailureLog.objects.create(
        username="sec-dr-a", ip_address="10.0.0.9", user_agent="test", locked_out=False
    )
    world = World(
        users=users,
        bundles=bundles,
        notifications=notifications,
        helpers={"radiologist2": radiologist2, "device": device, "today": today},
    )
    for role, user in users.items():
        world.sessions[role] = _session(user, device if role == "superuser" else None)
    world.sessions["radiologist2"] = _session(radiologist2)  # a second pair of eyes
    return world


def new_launch_id() -> str:
    """A launch id that names no launch."""
    return str(uuid.uuid4())
