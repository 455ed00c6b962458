"""Demo decisions, procedures and follow-ups for `make run`, so every screen has something in it.

Each journey goes through the real services (submit, claim, decide, record a procedure,
record follow-ups) on its own dates in the past: the columns the services stamp with "now"
(submitted, evaluated, decided) get those dates as the rows are saved (`outcomes.demo.dated`),
so the follow-up schedule, the due and overdue lists and the charts read as a clinic's months.
Names and MRNs are invented. Never used in production.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from eligibility.models import Evaluation
from patients.cases import case_referral_answers
from patients.demo import demo_case
from patients.models import Patient, Referral
from patients.services import LevelAnswers, default_clinic, patient_create, referral_save_and_submit
from reviews.models import ReasonCode, ReviewDecision
from reviews.services import decision_record, referral_claim

from .demo import dated
from .models import FollowUp
from .schedule import INTERVALS
from .services import TreatedLevelInput, follow_up_record, follow_ups_mark, procedure_record

ACCEPT = "accept"
DECLINE = "decline"
INFORMATION = "request_information"
OVERRIDE_PENDING = "override_pending"  # accepted over an absolute contraindication


@dataclass(frozen=True)
class DemoJourney:
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    physician: str
    submitted_days_ago: int
    outcome: str
    level: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)
    reason: str = ""  # a reason code (decline, information) or override reason
    comment: str = ""
    performed_days_ago: int | None = None
    # Pain (NRS) at each recorded follow-up, in schedule order from 1 day on.
    follow_up_pain: tuple[int, ...] = ()


def demo_journeys() -> tuple[DemoJourney, ...]:
    """Patients whose referrals went further: decided, treated, followed up."""
    return (
        DemoJourney(
            "DEMO-1021",
            "Agathe",
            "Rousselot",
            date(1940, 3, 2),
            "female",
            "physician",
            submitted_days_ago=214,
            outcome=ACCEPT,
            level={"level": "T12", "pain_nrs": 8},
            performed_days_ago=200,
            follow_up_pain=(4, 3, 2, 2, 1),  # 12 months still to come
        ),
        DemoJourney(
            "DEMO-1022",
            "Lorenzo",
            "Bianchetti",
            date(1946, 11, 19),
            "male",
            "physician",
            submitted_days_ago=140,
            outcome=ACCEPT,
            level={"level": "L1", "pain_nrs": 9},
            performed_days_ago=128,
            follow_up_pain=(5, 4, 3),  # the 3-month follow-up is overdue
        ),
        DemoJourney(
            "DEMO-1023",
            "Maren",
            "Sørlie",
            date(1951, 7, 4),
            "female",
            "physician2",
            submitted_days_ago=16,
            outcome=ACCEPT,
            level={"level": "L2", "pain_nrs": 7},
            performed_days_ago=9,
            follow_up_pain=(4,),  # the 1-week follow-up is due
        ),
        DemoJourney(
            "DEMO-1024",
            "Kofi",
            "Mensah-Larsen",
            date(1944, 1, 23),
            "male",
            "physician",
            submitted_days_ago=5,
            outcome=ACCEPT,
            level={"level": "T11", "pain_nrs": 8},
            # Accepted, not yet treated: on the "awaiting procedure" list.
        ),
        DemoJourney(
            "DEMO-1025",
            "Inês",
            "Carvalho-Berg",
            date(1949, 9, 9),
            "female",
            "physician",
            submitted_days_ago=2,
            outcome=OVERRIDE_PENDING,
            level={"level": "L3", "pain_nrs": 9},
            answers={"local_infection": True},
            reason="benefit-outweighs-risk",
            comment="Superficial skin infection treated, resolved on review this morning.",
        ),
        DemoJourney(
            "DEMO-1026",
            "Radomir",
            "Vukčević",
            date(1942, 4, 30),
            "male",
            "physician",
            submitted_days_ago=4,
            outcome=DECLINE,
            level={"level": "L4", "pain_nrs": 8},
            answers={"systemic_infection": True},
            reason="contraindication-present",
            comment="Treat the urosepsis first; refer again once it has cleared.",
        ),
        DemoJourney(
            "DEMO-1027",
            "Siobhán",
            "Ó Ceallaigh",
            date(1953, 2, 14),
            "female",
            "physician2",
            submitted_days_ago=3,
            outcome=INFORMATION,
            level={"level": "T10", "pain_nrs": 7},
            reason="needs-mri-stir",
            comment="The radiograph cannot date the fracture: please send an MRI with STIR.",
        ),
    )


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 30)))


def _decide(journey: DemoJourney, referral: Referral, radiologist) -> ReviewDecision:
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()
    level = referral.levels.get().level
    fields: dict = {"outcome": journey.outcome, "comment": journey.comment}
    if journey.outcome in (ACCEPT, OVERRIDE_PENDING):
        fields.update(outcome=ACCEPT, levels_to_treat=[level])
    if journey.outcome == OVERRIDE_PENDING:
        fields["override_reason"] = ReasonCode.objects.get(code=journey.reason)
    elif journey.reason:
        fields["reason_code"] = ReasonCode.objects.get(code=journey.reason)
    return decision_record(
        referral=referral, by=radiologist, expected_version=referral.version, **fields
    )


def _treat(
    journey: DemoJourney, referral: Referral, radiologist, today: date, *, performed_on: date
) -> None:
    level = referral.levels.get().level
    procedure = procedure_record(
        referral=referral,
        by=radiologist,
        performed_on=performed_on,
        levels=[TreatedLevelInput(level, Decimal("3.5"), "transpedicular")],
        guidance="both",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=today,
    )
    for interval, pain in zip(INTERVALS, journey.follow_up_pain, strict=False):
        follow_up = FollowUp.objects.get(procedure=procedure, interval=interval.key)
        follow_up_record(
            follow_up=follow_up,
            by=radiologist,
            assessed_on=follow_up.target_date,
            pain_nrs=pain,
            analgesics="non_opioid" if pain > 3 else "none",
            mobility="independent" if pain < 5 else "with_aid",
            back_to_usual_activities=pain <= 3,
            new_fracture=False,
            today=today,
        )


def _store(journey: DemoJourney, users: dict, today: date) -> None:
    physician = users[journey.physician]
    submitted_on = today - timedelta(days=journey.submitted_days_ago)
    patient = patient_create(
        by=physician,
        clinic=default_clinic(),
        mrn=journey.mrn,
        given_name=journey.given_name,
        family_name=journey.family_name,
        date_of_birth=journey.date_of_birth,
        sex=journey.sex,
    )
    answers, levels = case_referral_answers(
        demo_case(submitted_on, journey.answers, (journey.level,))
    )
    with dated(_at(submitted_on), Referral, Evaluation):
        evaluation = referral_save_and_submit(
            patient=patient,
            referral=None,
            by=physician,
            answers=answers,
            levels=[LevelAnswers(id=None, answers=level) for level in levels],
            today=submitted_on,
        )
    referral = Referral.objects.get(pk=evaluation.referral_id)
    with dated(_at(submitted_on + timedelta(days=1)), ReviewDecision):
        _decide(journey, referral, users["radiologist"])
    if journey.performed_days_ago is not None:
        performed_on = today - timedelta(days=journey.performed_days_ago)
        _treat(journey, referral, users["radiologist"], today, performed_on=performed_on)


@transaction.atomic
def seed_demo_journeys() -> int:
    """Create the decided and treated demo patients that do not exist yet; returns how many.

    Then marks the follow-ups that fell due, as the daily task would have.
    """
    journeys = demo_journeys()
    users = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in={"physician", "physician2", "radiologist", "radiologist2"}
        )
    }
    existing = set(Patient.objects.filter(clinic=default_clinic()).values_list("mrn", flat=True))
    today = timezone.localdate()
    created = 0
    for journey in journeys:
        if journey.mrn in existing or journey.physician not in users:
            continue
        _store(journey, users, today)
        created += 1
    if created:
        follow_ups_mark(today=today)
    return created
