"""Fixtures and helpers of the patients tests: patients, referrals, intake form data."""

import json
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from accounts.roles import Role
from tests.eligibility.engine.builders import ELIGIBLE_EXAMPLE, example_case

# The clinical contract lives next to the repository (../shared from the work tree's root).
SHARED = next(
    (
        parent / "shared"
        for parent in Path(__file__).resolve().parents
        if (parent / "shared").is_dir()
    ),
    None,
)
EXAMPLES_DIR = SHARED / "clinical" / "examples" if SHARED else None

TRI = {True: "yes", False: "no", None: "unknown"}
REFERRAL_TRI = (
    "pain_controlled_by_medical_therapy",
    "coagulopathy",
    "coagulopathy_corrected",
    "systemic_infection",
    "local_infection",
    "radicular_pain",
)
LEVEL_TRI = (
    "fracture",
    "imaging_acute",
    "high_fracture_risk",
    "osteomyelitis",
    "epidural_extension",
)


def shared_examples() -> list[Path]:
    """The worked examples of ../shared/clinical/examples; fails loudly when they are absent."""
    if EXAMPLES_DIR is None or not EXAMPLES_DIR.is_dir():
        pytest.fail(f"The shared clinical examples are missing (looked above {__file__}).")
    paths = sorted(EXAMPLES_DIR.glob("*.json"))
    if not paths:
        pytest.fail(f"No example in {EXAMPLES_DIR}.")
    return paths


def load_example(path: Path) -> dict:
    return json.loads(path.read_text())


def shift_case_to(case: dict, today: date) -> dict:
    """The case with its dates moved so that it is assessed today (ages and intervals kept)."""
    assessed = date.fromisoformat(case.get("assessed_on") or today.isoformat())
    delta = today - assessed

    def moved(text):
        return None if text is None else (date.fromisoformat(text) + delta).isoformat()

    shifted = json.loads(json.dumps(case))
    shifted["assessed_on"] = today.isoformat()
    if shifted.get("patient"):
        shifted["patient"]["date_of_birth"] = moved(shifted["patient"].get("date_of_birth"))
    for level in shifted["levels"]:
        level["fracture_date"] = moved(level.get("fracture_date"))
    return shifted


def page(response) -> str:
    """The response's HTML with entities decoded, for looking for messages in it."""
    return unescape(response.content.decode())


def _text(value) -> str:
    return "" if value is None else str(value)


def case_form_data(case: dict, *, action: str | None = None, level_ids=None) -> dict:
    """The intake form's POST body answering like the case (patient fields aside)."""
    data = {name: TRI[case.get(name)] for name in REFERRAL_TRI}
    data["assessed_on"] = case.get("assessed_on") or ""
    data["inr"] = _text(case.get("inr"))
    data["platelets"] = _text(case.get("platelets"))
    allergies = case.get("allergies")
    data["allergy_status"] = "unknown" if allergies is None else "some" if allergies else "none"
    data["allergies"] = list(allergies or [])
    data["radicular_cause"] = case.get("radicular_cause") or ""
    levels = case.get("levels") or []
    data.update(
        {
            "levels-TOTAL_FORMS": str(len(levels)),
            "levels-INITIAL_FORMS": "0",
            "levels-MIN_NUM_FORMS": "0",
            "levels-MAX_NUM_FORMS": "29",
        }
    )
    for index, level in enumerate(levels):
        prefix = f"levels-{index}-"
        data[prefix + "id"] = _text((level_ids or {}).get(index))
        data[prefix + "level"] = level.get("level") or ""
        data[prefix + "etiology"] = level.get("etiology") or ""
        data[prefix + "pain_nrs"] = _text(level.get("pain_nrs"))
        data[prefix + "fracture_date"] = _text(level.get("fracture_date"))
        data[prefix + "canal_compromise_pct"] = _text(level.get("canal_compromise_pct"))
        for name in LEVEL_TRI:
            data[prefix + name] = TRI[level.get(name)]
    if action:
        data["action"] = action
    return data


def _complete_case() -> dict:
    # Example 01 without its assessment date, patient or fracture date: eligible_case dates it.
    case = example_case(ELIGIBLE_EXAMPLE)
    del case["assessed_on"], case["patient"]
    case["levels"][0]["fracture_date"] = None
    return case


COMPLETE_CASE = _complete_case()


def eligible_case(today: date) -> dict:
    """A complete case that the engine finds eligible (one osteoporotic level, L2)."""
    case = json.loads(json.dumps(COMPLETE_CASE))
    case["levels"][0]["fracture_date"] = (today - timedelta(days=40)).isoformat()
    return case


class FindingsParser(HTMLParser):
    """Reads the findings panel: recommendation, missing paths, the verdict's lines (deciding
    ones first, then the folded others) and, for several levels, each level's recommendation."""

    def __init__(self) -> None:
        super().__init__()
        self.recommendation = None
        self.missing: list[str] = []
        self.lines: list[dict] = []
        self.level_recommendations: dict[str, str] = {}
        self._finding = None
        self._capture = None
        self._summary_level = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-recommendation" in attrs and self.recommendation is None:
            self.recommendation = attrs["data-recommendation"]
        if "data-missing" in attrs:
            self.missing.append(attrs["data-missing"])
        if "data-level-summary" in attrs:
            self._summary_level = attrs["data-level-summary"]
        if self._summary_level and "data-level-recommendation" in attrs:
            self.level_recommendations[self._summary_level] = attrs["data-level-recommendation"]
            self._summary_level = None
        if "data-rule" in attrs:
            self._finding = {
                "rule": attrs["data-rule"],
                "status": attrs["data-status"],
                "kind": attrs.get("data-kind"),
                "tone": attrs.get("data-tone"),
                "level": attrs.get("data-level-of", ""),
                "deciding": "data-deciding" in attrs,
                "text": "",
                "reason": "",
            }
            self.lines.append(self._finding)
        if "data-bar-rule" in attrs:
            self._finding = None  # the phone verdict bar's copy of the deciding lines
        if "data-finding-text" in attrs and self._finding is not None:
            self._capture = "text"
        if "data-finding-reason" in attrs and self._finding is not None:
            self._capture = "reason"

    def handle_endtag(self, tag):
        if tag in {"a", "span", "div"} and self._capture:
            self._finding[self._capture] = self._finding[self._capture].strip()
            self._capture = None

    def handle_data(self, data):
        if self._capture and self._finding is not None:
            self._finding[self._capture] += data

    def findings(self, level_labels: list[str]) -> list[tuple]:
        """Every finding shown, per level: a line without a level stands for every level."""
        shown = []
        for line in self.lines:
            for level in [line["level"]] if line["level"] else level_labels:
                shown.append((level, line["rule"], line["status"], line["text"], line["reason"]))
        return sorted(shown)


def read_findings(html: str) -> FindingsParser:
    parser = FindingsParser()
    parser.feed(html)
    return parser


def result_findings(result: dict) -> list[tuple]:
    """Every finding of an engine result, per level, in the shape FindingsParser.findings gives."""
    return sorted(
        (level["level"], f["rule"], f["status"], f["text"], f["reason"])
        for level in result["levels"]
        for f in level["findings"]
    )


def level_labels(result: dict) -> list[str]:
    return [level["level"] for level in result["levels"]]


@pytest.fixture
def other_physician(make_user):
    return make_user(Role.PHYSICIAN, username="dr-b")


@pytest.fixture
def make_patient(db):
    """Register a patient for a physician through the service."""
    from patients.services import patient_create

    counter = iter(range(1, 100_000))

    def make(by, **fields):
        number = next(counter)
        values = {
            "mrn": f"MRN{number:05d}",
            "given_name": f"Given{number}",
            "family_name": f"Family{number}",
            "date_of_birth": date(1946, 3, 14),
            "sex": "female",
        }
        values.update(fields)
        return patient_create(by=by, **values)

    return make


@pytest.fixture
def make_referral(db):
    """A referral stored from a case (answers and levels) as a draft of the physician."""
    from patients.cases import case_referral_answers
    from patients.services import LevelAnswers, referral_save_draft

    def make(patient, by, case=None):
        answers, levels = case_referral_answers(case or {"levels": []})
        answers.pop("assessed_on", None)
        outcome = referral_save_draft(
            patient=patient,
            referral=None,
            by=by,
            answers=answers,
            levels=[LevelAnswers(id=None, answers=level) for level in levels],
        )
        assert outcome.not_saved == []
        return outcome.referral

    return make


@pytest.fixture
def physician_client(client, physician):
    client.force_login(physician)
    return client


@pytest.fixture
def superuser_client(client, make_user):
    """The test client logged in as a superuser with a verified second factor, which the admin
    site wants (django-otp) on top of the login."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = make_user(superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
