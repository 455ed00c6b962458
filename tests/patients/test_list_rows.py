"""The rows of "My referrals" and "My patients" as the real templates write them: what each
column shows, and every column escaped."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient, Referral, TargetLevel

from .conftest import eligible_case, page

pytestmark = pytest.mark.django_db

REFERRALS = reverse("patients:referral-list")
PATIENTS = reverse("patients:patient-list")
# Short enough for every column it is planted in (a level label holds three characters).
HOSTILE = "<b>\"&'"
HOSTILE_ESCAPED = "&lt;b&gt;&quot;&amp;&#x27;"
HOSTILE_LEVEL = "<b>"


def _row(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split("</tr>", 1)[0]


def _cells(row: str) -> list[str]:
    return re.findall(r"<td>(.*?)</td>", row, flags=re.S)


@pytest.fixture
def referrals(physician, make_patient, make_referral):
    today = timezone.localdate()
    two_levels = eligible_case(today)
    two_levels["levels"].append(dict(two_levels["levels"][0], level="L4"))
    made = [
        make_referral(make_patient(physician, family_name="O'Brien"), physician),
        make_referral(make_patient(physician), physician, eligible_case(today)),
        make_referral(make_patient(physician, given_name="Ann"), physician, two_levels),
    ]
    Referral.objects.filter(pk=made[1].pk).update(
        status=Referral.Status.SUBMITTED, recommendation="review", flagged=True
    )
    Referral.objects.filter(pk=made[2].pk).update(
        status=Referral.Status.INFORMATION_REQUESTED,
        recommendation="not_eligible",
        updated_at=datetime(2026, 3, 29, 0, 30, 5, 120, tzinfo=UTC),
    )
    return made


def test_my_referrals_rows_show_levels_status_edit_link_recommendation_and_time(
    physician_client, referrals
):
    html = physician_client.get(REFERRALS).content.decode()
    assert html.count('data-referral="') == 3
    draft, submitted, returned = (_row(html, f'data-referral="{r.pk}"') for r in referrals)

    assert _cells(draft)[2] == "—"
    assert "not evaluated" in _cells(draft)[4]
    assert reverse("patients:referral-edit", args=[referrals[0].pk]) in _cells(draft)[3]

    assert "Submitted" in _cells(submitted)[3] and "edit" not in _cells(submitted)[3]
    assert 'badge-rec-review">Review<' in _cells(submitted)[4]
    assert "flagged" in _cells(submitted)[4]

    assert _cells(returned)[2] == "L2, L4"
    assert "Information requested" in _cells(returned)[3] and "edit" in _cells(returned)[3]
    assert 'badge-rec-not_eligible">Not eligible<' in _cells(returned)[4]
    assert _cells(returned)[5] == (
        '<time datetime="2026-03-29T00:30:05.000120+00:00">29/03/2026 00:30</time>'
    )
    for referral in referrals:
        assert reverse("patients:referral-detail", args=[referral.pk]) in html


def test_my_referrals_row_times_are_in_the_current_time_zone(physician_client, referrals):
    with timezone.override("Europe/Rome"):
        html = physician_client.get(REFERRALS).content.decode()
    row = _row(html, f'data-referral="{referrals[2].pk}"')
    assert '<time datetime="2026-03-29T01:30:05.000120+01:00">29/03/2026 01:30</time>' in row


def test_my_referrals_escapes_every_column(
    physician_client, physician, make_patient, make_referral
):
    referral = make_referral(
        make_patient(physician), physician, eligible_case(timezone.localdate())
    )
    Patient.objects.filter(pk=referral.patient_id).update(
        family_name=HOSTILE, given_name=HOSTILE, mrn=HOSTILE
    )
    TargetLevel.objects.filter(referral=referral).update(level=HOSTILE_LEVEL)
    Referral.objects.filter(pk=referral.pk).update(status=HOSTILE, recommendation=HOSTILE)

    response = physician_client.get(REFERRALS)

    assert response.status_code == 200
    row = _row(response.content.decode(), f'data-referral="{referral.pk}"')
    assert "<b>" not in row
    name, mrn, levels, status, recommendation, _updated = _cells(row)
    assert f">{HOSTILE_ESCAPED}, {HOSTILE_ESCAPED}</a>" in name
    assert mrn == HOSTILE_ESCAPED
    assert levels == "&lt;b&gt;"
    assert status == HOSTILE_ESCAPED
    assert recommendation.count(HOSTILE_ESCAPED) == 2  # the badge's class and its label


def test_my_patients_rows_show_name_mrn_birth_date_referral_count_and_links(
    physician_client, physician, referrals
):
    html = page(physician_client.get(PATIENTS))
    assert "O'Brien, Given" in html and "14/03/1946" in html
    for referral in referrals:
        assert reverse("patients:referral-create", args=[referral.patient_id]) in html
        assert reverse("patients:patient-detail", args=[referral.patient_id]) in html


def test_my_patients_escapes_every_column(physician_client, physician, make_patient):
    patient = make_patient(physician)
    Patient.objects.filter(pk=patient.pk).update(
        family_name=HOSTILE, given_name=HOSTILE, mrn=HOSTILE
    )

    html = physician_client.get(PATIENTS).content.decode()

    row = _row(html, "<tbody>")
    assert "<b>" not in row
    name, mrn, born, count, link = _cells(row)
    assert f">{HOSTILE_ESCAPED}, {HOSTILE_ESCAPED}</a>" in name
    assert mrn == HOSTILE_ESCAPED
    assert (born, count) == ("14/03/1946", "0")
    assert reverse("patients:referral-create", args=[patient.pk]) in link
