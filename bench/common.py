"""What the seed and the load benchmark share: the bench database, users and generated cases.

Both tools run with the bench settings (`bench/settings_bench.py`: production with DEBUG off,
cookies usable over plain http on 127.0.0.1) against a database of their own, never the
development or test database.
"""

import os
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BENCH_SETTINGS = "bench.settings_bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vpselect_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
# Not a secret: the bench server listens on 127.0.0.1 only and its database is synthetic.
BENCH_SECRET_KEY = "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
PASSWORD = "bench-password-2026"  # noqa: S105 - synthetic users of the bench database

PHYSICIANS = 50
RADIOLOGISTS = 5
STAFF = 2
PATIENTS = 10_000
REFERRALS = 20_000

REFUSED_DATABASE = (
    "Refusing to use database {name!r}: the bench drops and recreates its database, so its "
    "name must contain 'bench' (set BENCH_DATABASE_URL)."
)


# The auditors' TOTP key (hex, as django-otp stores it): the bench computes their codes.
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"


def auditor_username(number: int) -> str:
    return f"bench-auditor-{number}"


def physician_username(number: int) -> str:
    return f"bench-physician-{number:02d}"


def radiologist_username(number: int) -> str:
    return f"bench-radiologist-{number}"


def staff_username(number: int) -> str:
    return f"bench-staff-{number}"


def database_url() -> str:
    """The bench database's URL; its name must say "bench" (the seed drops it)."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(REFUSED_DATABASE.format(name=name))
    return url


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def bench_environ() -> dict[str, str]:
    """Environment variables of the bench settings (production-like, plain http, local)."""
    return {
        "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url(),
        "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
        "VPSELECT_PUBLIC_URL": "https://vpselect-bench.invalid",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONPATH": str(REPO),
    }


def setup_django() -> None:
    """Configure Django in this process with the bench settings."""
    os.environ.update(bench_environ())
    import django

    django.setup()


# --- Generated cases ------------------------------------------------------------------------

SPINE = (*(f"T{i}" for i in range(4, 13)), *(f"L{i}" for i in range(1, 6)))
ETIOLOGIES = ("osteoporosis", "metastasis", "myeloma", "hemangioma", "traumatic", "other")
ETIOLOGY_WEIGHTS = (62, 18, 6, 6, 5, 3)
TUMOURS = frozenset({"metastasis", "myeloma", "hemangioma"})
HIGH_RISK_TUMOURS = frozenset({"metastasis", "myeloma"})
PAIN_WEIGHTS = (1, 1, 1, 1, 2, 3, 5, 14, 18, 14, 10)
ALLERGENS = ("cement", "contrast", "anesthetic", "other")
CANAL_PCT = (0, 5, 10, 15, 25, 35)
CANAL_WEIGHTS = (30, 30, 20, 10, 6, 4)
GIVEN_NAMES = (
    "Ada", "Agnes", "Aino", "Bruno", "Carla", "Dmitri", "Edith", "Elif", "Farid", "Greta",
    "Hana", "Ines", "Jonas", "Kofi", "Lena", "Marta", "Nils", "Olga", "Pavel", "Rosa",
    "Sanna", "Tomas", "Ursula", "Vera", "Wim", "Yara", "Zofia",
)  # fmt: skip
FAMILY_NAMES = (
    "Andersen", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat",
    "Ivanova", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Urban", "Varga", "Weber", "Yilmaz", "Zeller",
)  # fmt: skip


def _maybe(rng: random.Random, value, unknown: float = 0.04):
    """The value, or None (an unknown answer) now and then."""
    return None if rng.random() < unknown else value


def generate_case(rng: random.Random, *, today: date, date_of_birth: date, sex: str) -> dict:
    """A plausible case as the intake form can express it: 1–3 levels, most answers known."""
    coagulopathy = rng.random() < 0.12
    radicular = rng.random() < 0.18
    allergies = [rng.choice(ALLERGENS)] if rng.random() < 0.03 else []
    case = {
        "assessed_on": today.isoformat(),
        "patient": {"sex": sex, "date_of_birth": date_of_birth.isoformat()},
        "pain_controlled_by_medical_therapy": _maybe(rng, rng.random() < 0.04),
        "coagulopathy": _maybe(rng, coagulopathy),
        "coagulopathy_corrected": (rng.random() < 0.7) if coagulopathy else None,
        "inr": _maybe(rng, max(0.8, round(rng.gauss(1.1, 0.15), 2)), 0.1),
        "platelets": _maybe(rng, float(max(20, round(rng.gauss(250, 70)))), 0.1),
        "systemic_infection": _maybe(rng, rng.random() < 0.02),
        "local_infection": _maybe(rng, rng.random() < 0.02),
        "allergies": _maybe(rng, allergies, 0.05),
        "radicular_pain": _maybe(rng, radicular),
        "radicular_cause": (
            rng.choice(["vertebral_collapse", "unrelated_compression"]) if radicular else None
        ),
        "levels": [],
    }
    count = rng.choices((1, 2, 3), weights=(65, 25, 10))[0]
    oldest = max(0, min(900, (today - date_of_birth).days - 1))
    for label in sorted(rng.sample(SPINE, count), key=SPINE.index):
        etiology = rng.choices(ETIOLOGIES, weights=ETIOLOGY_WEIGHTS)[0]
        fracture = rng.random() < 0.96
        age_days = min(oldest, rng.choice([rng.randrange(3, 120), rng.randrange(3, 900)]))
        case["levels"].append(
            {
                "level": label,
                "etiology": etiology,
                "pain_nrs": _maybe(rng, rng.choices(range(11), weights=PAIN_WEIGHTS)[0]),
                "fracture": _maybe(rng, fracture),
                "fracture_date": _maybe(
                    rng, (today - timedelta(days=age_days)).isoformat() if fracture else None
                ),
                "imaging_acute": _maybe(rng, rng.random() < 0.8),
                "high_fracture_risk": (
                    _maybe(rng, rng.random() < 0.7) if etiology in HIGH_RISK_TUMOURS else None
                ),
                "osteomyelitis": _maybe(rng, rng.random() < 0.015),
                "canal_compromise_pct": _maybe(
                    rng, float(rng.choices(CANAL_PCT, weights=CANAL_WEIGHTS)[0])
                ),
                "epidural_extension": (
                    _maybe(rng, rng.random() < 0.15) if etiology in TUMOURS else None
                ),
            }
        )
    return case


def generate_patient(rng: random.Random, *, today: date, number: int) -> dict:
    """Invented identification of patient `number` (names and MRN are synthetic)."""
    return {
        "mrn": f"B{number:07d}",
        "given_name": rng.choice(GIVEN_NAMES),
        "family_name": f"{rng.choice(FAMILY_NAMES)}{number}",
        "date_of_birth": today - timedelta(days=rng.randrange(45 * 365, 95 * 365)),
        "sex": rng.choice(("female", "female", "female", "male", "other")),
    }


_TRI = {True: "yes", False: "no", None: "unknown"}
_REFERRAL_TRI = (
    "pain_controlled_by_medical_therapy",
    "coagulopathy",
    "coagulopathy_corrected",
    "systemic_infection",
    "local_infection",
    "radicular_pain",
)
_LEVEL_TRI = ("fracture", "imaging_acute", "high_fracture_risk", "osteomyelitis")
_LEVEL_TRI_TUMOUR = ("epidural_extension",)


def _text(value) -> str:
    return "" if value is None else str(value)


def intake_form_data(case: dict, *, action: str | None = None) -> list[tuple[str, str]]:
    """The intake form's POST body (a new referral) answering like the case."""
    data = [(name, _TRI[case.get(name)]) for name in _REFERRAL_TRI]
    data += [("inr", _text(case.get("inr"))), ("platelets", _text(case.get("platelets")))]
    allergies = case.get("allergies")
    status = "unknown" if allergies is None else "some" if allergies else "none"
    data.append(("allergy_status", status))
    data += [("allergies", allergy) for allergy in allergies or []]
    data.append(("radicular_cause", case.get("radicular_cause") or ""))
    levels = case["levels"]
    data += [
        ("levels-TOTAL_FORMS", str(len(levels))),
        ("levels-INITIAL_FORMS", "0"),
        ("levels-MIN_NUM_FORMS", "0"),
        ("levels-MAX_NUM_FORMS", "29"),
    ]
    for index, level in enumerate(levels):
        prefix = f"levels-{index}-"
        data += [
            (prefix + "id", ""),
            (prefix + "level", level["level"]),
            (prefix + "etiology", level.get("etiology") or ""),
            (prefix + "pain_nrs", _text(level.get("pain_nrs"))),
            (prefix + "fracture_date", _text(level.get("fracture_date"))),
            (prefix + "canal_compromise_pct", _text(level.get("canal_compromise_pct"))),
        ]
        data += [(prefix + name, _TRI[level.get(name)]) for name in _LEVEL_TRI]
        data += [(prefix + name, _TRI[level.get(name)]) for name in _LEVEL_TRI_TUMOUR]
    if action:
        data.append(("action", action))
    return data
