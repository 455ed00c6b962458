"""The auditor's view of the trail: superusers with a verified second factor, filters, CSV."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from audit.forms import DATES_REVERSED
from audit.models import AuditEvent
from audit.views import EXPORT_COLUMNS

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(make_user):
    return make_user(None, username="auditor", superuser=True)


@pytest.fixture
def auditor_client(client, auditor):
    """Signed in as a superuser whose session passed the TOTP step."""
    device = TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    client.force_login(auditor)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def event(**fields) -> AuditEvent:
    defaults = {"action": AuditEvent.Action.VIEW, "outcome": AuditEvent.Outcome.SUCCESS}
    return AuditEvent.objects.create(**{**defaults, **fields})


def shown(response) -> list[str]:
    """The request ids of the events listed (each row shows its request id)."""
    return [e.request_id for e in response.context["page"].events]


def test_physicians_radiologists_and_staff_cannot_open_the_trail(client, make_user):
    for role in Role:
        client.force_login(make_user(role))
        assert client.get(reverse("audit:events")).status_code == 403
        assert client.get(reverse("audit:export")).status_code == 403


def test_a_superuser_session_without_the_second_factor_cannot_open_the_trail(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("audit:events")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403


def test_the_auditor_filters_by_user_patient_action_and_date(auditor_client, physician):
    now = timezone.now()
    event(user=physician, username=physician.username, patient_id=7, request_id="r-view-7")
    event(username="someone", patient_id=8, request_id="r-view-8")
    event(
        username="someone",
        action=AuditEvent.Action.EXPORT,
        patient_id=7,
        request_id="r-export-7",
    )
    event(username="someone", occurred_at=now - dt.timedelta(days=10), request_id="r-old")
    url = reverse("audit:events")

    by_user = auditor_client.get(url, {"user": physician.username.upper()})
    by_patient = auditor_client.get(url, {"patient": 7})
    by_action = auditor_client.get(url, {"action": "export"})
    ten_days_ago = (now - dt.timedelta(days=10)).date().isoformat()
    by_date = auditor_client.get(url, {"date_from": ten_days_ago, "date_to": ten_days_ago})

    assert shown(by_user) == ["r-view-7"]
    assert sorted(shown(by_patient)) == ["r-export-7", "r-view-7"]
    assert shown(by_action) == ["r-export-7"]
    assert shown(by_date) == ["r-old"]


def test_the_trail_page_costs_the_same_queries_for_fifty_events_as_for_one(auditor_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            auditor_client.get(reverse("audit:events"))
        return len(captured)

    event(username="first", patient_id=1)
    queries()  # the session's first request stamps it (one more write)
    one = queries()
    for index in range(60):
        event(username=f"user{index}", patient_id=index)
    many = queries()
    assert many == one <= 10


def test_reversed_dates_are_refused_next_to_the_field(auditor_client):
    response = auditor_client.get(
        reverse("audit:events"), {"date_from": "2026-11-20", "date_to": "2026-11-01"}
    )
    assert response.status_code == 400
    assert str(DATES_REVERSED) in response.content.decode()
    export = auditor_client.get(
        reverse("audit:export"), {"date_from": "2026-11-20", "date_to": "2026-11-01"}
    )
    assert export.status_code == 400


def test_the_csv_export_holds_the_filtered_events_and_is_itself_audited(auditor_client, auditor):
    event(username="alice", patient_id=42, request_id="r-alice-42")
    event(username="bob", patient_id=43, request_id="r-bob-43")

    response = auditor_client.get(reverse("audit:export"), {"patient": 42})

    assert response["Content-Disposition"] == 'attachment; filename="vpselect-audit.csv"'
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["request_id"] for row in rows] == ["r-alice-42"]
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, user=auditor)
    assert export.details["export"] == "audit_csv"
    assert export.details["filters"]["patient_id"] == 42
    assert export.details["up_to_event"] == AuditEvent.objects.get(request_id="r-bob-43").pk
    assert export.request_id == response["X-Request-ID"]


def test_the_csv_export_defuses_spreadsheet_formulas_in_attacker_chosen_text(auditor_client):
    # A failed login records the username as typed: anyone can type a formula.
    event(
        username='=HYPERLINK("http://evil.example","x")',
        action=AuditEvent.Action.LOGIN_FAILED,
        outcome=AuditEvent.Outcome.FAILED,
        path="/accounts/login/",
    )
    response = auditor_client.get(reverse("audit:export"), {"action": "login_failed"})
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert row["username"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["path"] == "/accounts/login/"


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_trail_words_each_action_and_outcome_as_its_choice_does(language):
    """The rows' labels come from dicts built once (get_FOO_display rebuilt the choices on
    every call); the words must stay the model's, in the reader's language."""
    with translation.override(language):
        for action in AuditEvent.Action:
            for outcome in AuditEvent.Outcome:
                row = AuditEvent(action=action, outcome=outcome)
                assert row.action_label == row.get_action_display()
                assert row.outcome_label == row.get_outcome_display()
    assert AuditEvent(action="gone", outcome="gone").action_label == "gone"


def test_the_trail_page_shows_the_action_and_outcome_in_words(auditor_client):
    event(action=AuditEvent.Action.LOGIN_FAILED, outcome=AuditEvent.Outcome.FAILED)

    page = auditor_client.get(reverse("audit:events")).content.decode()

    assert "<td>Failed login</td>" in page
    assert '<span class="badge text-bg-warning">Failed</span>' in page
