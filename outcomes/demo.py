"""Demo outcomes for `make run`: treated patients with contact and consent, follow-ups due,
questionnaire invitations, reminders, answers (one needing a call) and a patient to chase.

Names, MRNs, addresses and numbers are invented. The daily invitation run is replayed over
the last 12 days through the real services; the messages go nowhere (the demo's patients
are not real). Safe to run again: existing demo patients are kept.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import pre_save
from django.test.utils import override_settings
from django.utils import timezone

from eligibility.models import Evaluation
from patients.cases import case_referral_answers
from patients.demo import demo_case
from patients.models import Patient, Referral
from patients.services import LevelAnswers, default_clinic, patient_create, referral_save_and_submit
from reviews.models import ReviewDecision
from reviews.services import decision_record, referral_claim

from .invitations import (
    _links,
    invitations_send,
    patient_contact_save,
    questionnaire_answer,
    token_hash,
)
from .models import QuestionnaireInvitation
from .services import TreatedLevelInput, follow_up_record, procedure_record

QUIET = {
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "VPSELECT_SMS_BACKEND": "outcomes.sms.NullSmsBackend",
}
ANSWERS_WELL = {
    "pain_now": "2",
    "pain_worst_week": "4",
    "pain_medicine": "non_opioid",
    "walking": "independent",
    "usual_activities": "some_problems",
    "back_to_usual_activities": "no",
    "new_back_pain": "no",
    "fall": "no",
    "fever": "no",
    "wound_problem": "no",
    "new_weakness_or_numbness": "no",
    "global_change": "6",
    "comment": "Molto meglio, grazie.",
}
ANSWERS_WOUND = {
    **ANSWERS_WELL,
    "pain_now": "4",
    "pain_worst_week": "6",
    "wound_problem": "yes",
    "global_change": "5",
    "comment": "",
}


@dataclass(frozen=True)
class DemoTreated:
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    treated_days_ago: int
    # Follow-ups the clinic recorded: interval -> pain NRS.
    recorded: dict = field(default_factory=dict)
    email: str = ""
    mobile: str = ""
    language: str = "en"
    consent: bool = True
    # The patient answers the questionnaire of this interval on its invitation day.
    answers_interval: str = ""
    answers: dict = field(default_factory=dict)


DEMO_TREATED = (
    DemoTreated(
        "DEMO-2001", "Giulia", "Marchetti", date(1944, 2, 3), "female", 8,
        recorded={"day_1": 5}, email="giulia.marchetti@example.org", language="it",
        answers_interval="week_1", answers=ANSWERS_WELL,
    ),
    DemoTreated(
        "DEMO-2002", "Arthur", "Penhallow", date(1939, 9, 21), "male", 3,
        mobile="+447700900123",
    ),
    DemoTreated(
        "DEMO-2003", "Edith", "Brannigan", date(1948, 12, 11), "female", 31,
        recorded={"day_1": 6, "week_1": 4}, email="edith.brannigan@example.org",
        answers_interval="month_1", answers=ANSWERS_WOUND,
    ),
    DemoTreated(
        "DEMO-2004", "Rosa", "Bellandi", date(1942, 6, 30), "female", 40,
        recorded={"day_1": 7, "week_1": 5}, mobile="+393331234567", language="it",
    ),
    DemoTreated(
        "DEMO-2005", "Walter", "Lindqvist", date(1945, 4, 4), "male", 2, consent=False,
    ),
)  # fmt: skip


def _case(assessed_on: date) -> dict:
    """The demo's eligible case (an acute, severely painful osteoporotic fracture at L1)."""
    return {**demo_case(assessed_on, {}, ({},)), "assessed_on": assessed_on.isoformat()}


# The column each model's service stamps with "now" (submitting, evaluating, deciding).
_CLOCK_FIELDS = {Referral: "submitted_at", Evaluation: "created_at", ReviewDecision: "decided_at"}


@contextmanager
def dated(moment: datetime, *models):
    """Demo only: what the services record as happening "now" happens at `moment`.

    Evaluations and decisions are immutable and the services date them (and a submission)
    "now", so the demo's past is given to each row as it is saved with that column (Django's
    pre_save signal, connected only here), never written afterwards.
    """

    def stamp(sender, instance, update_fields=None, **kwargs):
        field = _CLOCK_FIELDS[sender]
        stamping = instance._state.adding or field in (update_fields or ())
        if stamping and getattr(instance, field) is not None:
            setattr(instance, field, moment)

    for model in models:
        pre_save.connect(stamp, sender=model, weak=False)
    try:
        yield
    finally:
        for model in models:
            pre_save.disconnect(stamp, sender=model)


def _treat(demo: DemoTreated, physician, radiologist, staff, today: date) -> Patient:
    performed_on = today - timedelta(days=demo.treated_days_ago)
    decided_on = performed_on - timedelta(days=3)
    patient = patient_create(
        by=physician,
        clinic=default_clinic(),
        mrn=demo.mrn,
        given_name=demo.given_name,
        family_name=demo.family_name,
        date_of_birth=demo.date_of_birth,
        sex=demo.sex,
    )
    answers, levels = case_referral_answers(_case(decided_on))
    referral_save_and_submit(
        patient=patient,
        referral=None,
        by=physician,
        answers=answers,
        levels=[LevelAnswers(id=None, answers=level) for level in levels],
        today=decided_on,
    )
    referral = Referral.objects.get(patient=patient)
    referral = referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()
    with dated(timezone.make_aware(datetime.combine(decided_on, time(10))), ReviewDecision):
        decision_record(
            referral=referral,
            by=radiologist,
            expected_version=referral.version,
            outcome="accept",
            levels_to_treat=["L1"],
        )
    referral.refresh_from_db()
    procedure = procedure_record(
        referral=referral,
        by=radiologist,
        performed_on=performed_on,
        levels=[TreatedLevelInput("L1", Decimal("3.0"), "transpedicular")],
        guidance="fluoroscopy",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=today,
    )
    for interval, pain in demo.recorded.items():
        follow_up = procedure.follow_ups.get(interval=interval)
        follow_up_record(
            follow_up=follow_up,
            by=staff,
            assessed_on=follow_up.target_date,
            pain_nrs=pain,
            analgesics="non_opioid",
            mobility="independent",
            back_to_usual_activities=False,
            new_fracture=False,
            today=today,
        )
    if demo.consent:
        patient_contact_save(
            patient=patient,
            by=staff,
            email=demo.email,
            mobile=demo.mobile,
            preferred_language=demo.language,
            consent_to_contact=True,
            consent_recorded_on=performed_on,
            opted_out=False,
            today=today,
            now=timezone.now(),
        )
    return patient


def _answer(demo: DemoTreated, patient: Patient, on: date) -> None:
    invitation = (
        QuestionnaireInvitation.objects.filter(
            follow_up__procedure__referral__patient=patient,
            follow_up__interval=demo.answers_interval,
            invited_on=on,
            answered_at__isnull=True,
        )
        .select_related("follow_up")
        .first()
    )
    if invitation is None:
        return
    link = _links().filter(invitation=invitation).first()
    # The demo cannot know the sent token (only its hash is kept): answer through the link
    # row by giving it a known token first.
    token = f"demo-{patient.mrn}-{invitation.pk}"
    type(link).objects.filter(pk=link.pk).update(token_hash=token_hash(token))
    answered_at = timezone.make_aware(datetime.combine(on, time(18)))
    questionnaire_answer(token=token, answers=demo.answers, now=answered_at)


@transaction.atomic
def seed_demo_outcomes() -> int:
    """Create the demo treated patients that do not exist yet; returns how many."""
    users = {user.username: user for user in get_user_model().objects.all()}
    physician, radiologist = users.get("physician"), users.get("radiologist")
    staff = users.get("staff")
    if not (physician and radiologist and staff):
        return 0
    existing = set(
        Patient.objects.filter(mrn__in=[demo.mrn for demo in DEMO_TREATED]).values_list(
            "mrn", flat=True
        )
    )
    new = [demo for demo in DEMO_TREATED if demo.mrn not in existing]
    if not new:
        return 0
    today = timezone.localdate()
    patients = {demo.mrn: _treat(demo, physician, radiologist, staff, today) for demo in new}
    with override_settings(**QUIET):
        for days_ago in range(12, -1, -1):
            day = today - timedelta(days=days_ago)
            now = timezone.make_aware(datetime.combine(day, time(9, 30)))
            invitations_send(today=day, now=now)
            for demo in new:
                if demo.answers_interval:
                    _answer(demo, patients[demo.mrn], day)
    return len(new)
