"""Synthetic demo patients for `make run`. Names and MRNs are invented.

Together the submitted referrals reach every recommendation and meet every rule of the engine
at least once (a test holds this); a few stay drafts, and one was resubmitted after an
information request so its page shows two evaluations and what changed between them.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .cases import case_referral_answers
from .models import Patient, Referral
from .services import (
    LevelAnswers,
    default_clinic,
    patient_create,
    referral_save_and_submit,
    referral_save_draft,
)

SUBMIT = "submit"
DRAFT = "draft"
RESUBMIT = "resubmit"  # submitted incomplete, information requested, then completed


@dataclass(frozen=True)
class DemoPatient:
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    physician: str
    action: str
    # Changes to the base case: referral answers, and per level the answers of that level.
    answers: dict = field(default_factory=dict)
    levels: tuple[dict, ...] = ({},)


def _level(today: date, **answers) -> dict:
    """An acute, severely painful osteoporotic fracture at L1, changed by `answers`."""
    level = {
        "level": "L1",
        "etiology": "osteoporosis",
        "pain_nrs": 8,
        "fracture": True,
        "fracture_date": (today - timedelta(days=35)).isoformat(),
        "imaging_acute": True,
        "high_fracture_risk": None,
        "osteomyelitis": False,
        "canal_compromise_pct": 5,
        "epidural_extension": None,
    }
    level.update(answers)
    return level


def demo_case(today: date, answers: dict, levels: tuple[dict, ...]) -> dict:
    """The demo base case (eligible at L1 on `today`), changed by `answers` and `levels`."""
    case: dict = {
        "pain_controlled_by_medical_therapy": False,
        "coagulopathy": False,
        "coagulopathy_corrected": None,
        "inr": 1.0,
        "platelets": 230,
        "systemic_infection": False,
        "local_infection": False,
        "allergies": [],
        "radicular_pain": False,
        "radicular_cause": None,
    }
    case.update(answers)
    case["levels"] = [_level(today, **level) for level in levels]
    return case


def _days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def demo_patients() -> tuple[DemoPatient, ...]:
    """The demo patients, their referrals' answers and what happens to each referral."""
    tumour = {"high_fracture_risk": True, "epidural_extension": False}
    return (
        DemoPatient(
            "DEMO-1001",
            "Margit",
            "Halvorsen",
            date(1941, 5, 12),
            "female",
            "physician",
            SUBMIT,
            levels=({"level": "L2", "pain_nrs": 9},),
        ),
        DemoPatient(
            "DEMO-1002",
            "Dorotea",
            "Vasquez-Ibarra",
            date(1958, 9, 3),
            "female",
            "physician",
            SUBMIT,
            levels=(
                {
                    "level": "T9",
                    "etiology": "metastasis",
                    "pain_nrs": 6,
                    "fracture": False,
                    "fracture_date": None,
                    "imaging_acute": None,
                    **tumour,
                },
            ),
        ),
        DemoPatient(
            "DEMO-1003",
            "Anselm",
            "Kowalczyk",
            date(1952, 1, 27),
            "male",
            "physician",
            SUBMIT,
            levels=({"level": "L3", "etiology": "myeloma", "pain_nrs": 7, **tumour},),
        ),
        DemoPatient(
            "DEMO-1004",
            "Liesel",
            "Marchetti",
            date(1969, 11, 8),
            "female",
            "physician",
            SUBMIT,
            levels=(
                {
                    "level": "T6",
                    "etiology": "hemangioma",
                    "pain_nrs": 5,
                    "fracture": False,
                    "fracture_date": None,
                    "imaging_acute": None,
                    "epidural_extension": False,
                },
            ),
        ),
        DemoPatient(
            "DEMO-1005",
            "Bertrand",
            "Okafor-Lund",
            date(1939, 2, 19),
            "male",
            "physician",
            SUBMIT,
            levels=({"level": "T12", "canal_compromise_pct": 32},),
        ),
        DemoPatient(
            "DEMO-1006",
            "Edwige",
            "Lachance",
            date(1947, 7, 30),
            "female",
            "physician",
            SUBMIT,
            answers={"radicular_pain": True, "radicular_cause": "unrelated_compression"},
            levels=({"level": "L4"},),
        ),
        DemoPatient(
            "DEMO-1007",
            "Tomasz",
            "Wierzbicki",
            date(1955, 4, 2),
            "male",
            "physician",
            SUBMIT,
            levels=(
                {
                    "level": "T10",
                    "etiology": "metastasis",
                    "pain_nrs": 7,
                    "high_fracture_risk": True,
                    "epidural_extension": True,
                },
            ),
        ),
        DemoPatient(
            "DEMO-1008",
            "Hildegard",
            "Nyström",
            date(1936, 10, 14),
            "female",
            "physician",
            SUBMIT,
            levels=(
                {
                    "level": "L1",
                    "pain_nrs": 7,
                    "imaging_acute": False,
                    "fracture_date": _days_ago(500),
                },
            ),
        ),
        DemoPatient(
            "DEMO-1009",
            "Ruairí",
            "Donnellan",
            date(1944, 3, 6),
            "male",
            "physician",
            SUBMIT,
            answers={"systemic_infection": True},
            levels=({"level": "L2"},),
        ),
        DemoPatient(
            "DEMO-1010",
            "Philippa",
            "Achterberg",
            date(1949, 12, 1),
            "female",
            "physician",
            SUBMIT,
            answers={"pain_controlled_by_medical_therapy": True},
            levels=({"level": "T11"},),
        ),
        DemoPatient(
            "DEMO-1011",
            "Casimir",
            "Delacroix-Roux",
            date(1951, 6, 23),
            "male",
            "physician",
            SUBMIT,
            levels=({"level": "L5", "osteomyelitis": True},),
        ),
        DemoPatient(
            "DEMO-1012",
            "Ottilie",
            "Brennan-Sato",
            date(1943, 8, 17),
            "female",
            "physician",
            SUBMIT,
            answers={"coagulopathy": True, "coagulopathy_corrected": False, "inr": 2.4},
            levels=({"level": "T8"},),
        ),
        DemoPatient(
            "DEMO-1013",
            "Joaquín",
            "Esterházy",
            date(1978, 2, 9),
            "male",
            "physician",
            SUBMIT,
            levels=({"level": "L1", "etiology": "traumatic", "pain_nrs": 9},),
        ),
        DemoPatient(
            "DEMO-1014",
            "Wilhelmina",
            "Achebe",
            date(1950, 5, 28),
            "female",
            "physician",
            SUBMIT,
            levels=(
                {
                    "level": "T12",
                    "pain_nrs": 3,
                    "fracture": False,
                    "fracture_date": None,
                    "imaging_acute": False,
                },
            ),
        ),
        DemoPatient(
            "DEMO-1015",
            "Seraphine",
            "Mulcahy",
            date(1945, 9, 11),
            "female",
            "physician",
            SUBMIT,
            answers={"allergies": ["contrast"]},
            levels=({"level": "L3"},),
        ),
        DemoPatient(
            "DEMO-1016",
            "Augustin",
            "Pellegrini",
            date(1940, 1, 4),
            "male",
            "physician",
            SUBMIT,
            levels=(
                {"level": "T11"},
                {
                    "level": "T12",
                    "pain_nrs": 0,
                    "imaging_acute": False,
                    "fracture_date": _days_ago(200),
                },
            ),
        ),
        DemoPatient(
            "DEMO-1017",
            "Greta",
            "Lindqvist",
            date(1948, 4, 21),
            "female",
            "physician2",
            SUBMIT,
            answers={"coagulopathy": None, "allergies": None},
            levels=({"level": "L2"},),
        ),
        DemoPatient(
            "DEMO-1018",
            "Noor",
            "Haddadin",
            date(1962, 12, 30),
            "female",
            "physician",
            DRAFT,
            answers={"coagulopathy": None, "inr": None, "platelets": None},
            levels=(
                {
                    "level": "T7",
                    "etiology": "metastasis",
                    "pain_nrs": None,
                    "fracture": None,
                    "fracture_date": None,
                    "imaging_acute": None,
                },
            ),
        ),
        DemoPatient(
            "DEMO-1019",
            "Florentyna",
            "Dąbrowska",
            date(1946, 6, 16),
            "female",
            "physician2",
            DRAFT,
            levels=({"level": "L1"},),
        ),
        DemoPatient(
            "DEMO-1020",
            "Ingeborg",
            "Valtýsdóttir",
            date(1938, 8, 8),
            "female",
            "physician2",
            RESUBMIT,
            levels=({"level": "L2", "pain_nrs": 8},),
        ),
    )


def _store(demo: DemoPatient, physician, today: date) -> None:
    patient = patient_create(
        by=physician,
        clinic=default_clinic(),
        mrn=demo.mrn,
        given_name=demo.given_name,
        family_name=demo.family_name,
        date_of_birth=demo.date_of_birth,
        sex=demo.sex,
    )
    case = demo_case(today, demo.answers, demo.levels)
    if demo.action == RESUBMIT:
        # The first submission lacked the coagulation status; the radiologist asked for it.
        first = {**case, "coagulopathy": None}
        _submit(patient, None, physician, first, today)
        referral = Referral.objects.get(patient=patient)
        referral.status = Referral.Status.INFORMATION_REQUESTED
        referral.version += 1
        referral.save(update_fields=["status", "version", "updated_at"])
        _submit(patient, referral, physician, case, today)
    elif demo.action == SUBMIT:
        _submit(patient, None, physician, case, today)
    else:
        answers, levels = case_referral_answers(case)
        referral_save_draft(
            patient=patient,
            referral=None,
            by=physician,
            answers=answers,
            levels=[LevelAnswers(id=None, answers=level) for level in levels],
        )


def _submit(patient: Patient, referral: Referral | None, physician, case: dict, today) -> None:
    answers, levels = case_referral_answers(case)
    stored = list(referral.levels.order_by("position")) if referral is not None else []
    rows = [
        LevelAnswers(id=stored[index].pk if index < len(stored) else None, answers=level)
        for index, level in enumerate(levels)
    ]
    referral_save_and_submit(
        patient=patient, referral=referral, by=physician, answers=answers, levels=rows, today=today
    )


@transaction.atomic
def seed_demo_patients() -> int:
    """Create the demo patients and referrals that do not exist yet; returns how many."""
    demos = demo_patients()
    usernames = {demo.physician for demo in demos}
    users = {
        user.username: user for user in get_user_model().objects.filter(username__in=usernames)
    }
    clinic = default_clinic()
    existing = set(Patient.objects.filter(clinic=clinic).values_list("mrn", flat=True))
    today = timezone.localdate()
    created = 0
    for demo in demos:
        if demo.mrn in existing or demo.physician not in users:
            continue
        _store(demo, users[demo.physician], today)
        created += 1
    return created
