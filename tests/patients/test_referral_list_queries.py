"""The statements of "My referrals": the page's rows bring their level labels (PostgreSQL).

Session, user and roles (the middleware); the count of the physician's referrals; the page
of rows, each with its level labels in the referral's order; the "Latest decisions" box;
the request's audit event.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import selectors, views
from patients.services import LevelAnswers, referral_save_draft

from .conftest import eligible_case, page

pytestmark = pytest.mark.django_db

STATEMENTS = 7


def _referral_with_levels(physician, patient, labels):
    outcome = referral_save_draft(
        patient=patient,
        referral=None,
        by=physician,
        answers={},
        levels=[LevelAnswers(id=None, answers={"level": label}) for label in labels],
    )
    return outcome.referral


def test_my_referrals_reads_the_levels_with_the_page(
    physician_client, physician, make_patient, make_referral, django_assert_num_queries
):
    url = reverse("patients:referral-list")
    # Levels stored out of label order: the row lists them in the referral's order.
    mixed = _referral_with_levels(physician, make_patient(physician), ["L3", "T12", "L1"])
    none = _referral_with_levels(physician, make_patient(physician), [])
    make_referral(make_patient(physician), physician, eligible_case(timezone.localdate()))
    physician_client.get(url)  # the session's first request stamps it

    with CaptureQueriesContext(connection) as captured:
        with django_assert_num_queries(STATEMENTS):
            response = physician_client.get(url)
    assert response.status_code == 200
    sql = [query["sql"] for query in captured.captured_queries]
    assert not any(statement.startswith('SELECT "patients_targetlevel"') for statement in sql)
    html = page(response)
    assert html.count('data-referral="') == 3
    row = html.split(f'data-referral="{mixed.pk}"')[1].split("</tr>")[0]
    assert "<td>L3, T12, L1</td>" in row
    row = html.split(f'data-referral="{none.pk}"')[1].split("</tr>")[0]
    assert "<td>—</td>" in row


def test_row_values_bring_the_labels_the_separate_query_reads(physician, make_patient):
    first = _referral_with_levels(physician, make_patient(physician), ["S1", "C2"])
    second = _referral_with_levels(physician, make_patient(physician), [])
    referrals = selectors.referral_list(user=physician)
    assert "level_labels" in referrals.query.annotations  # PostgreSQL: in the rows
    values = selectors.referral_list_values(referrals)
    assert {row["id"]: row["level_labels"] for row in values} == {
        first.pk: ["S1", "C2"],
        second.pk: [],
    }
    assert selectors.level_labels([first.pk, second.pk]) == {
        first.pk: ["S1", "C2"],
        second.pk: [],
    }
    # Without the array (other databases) the labels are read in one more query, the same.
    plain = referrals.all()
    del plain.query.annotations["level_labels"]
    assert selectors.referral_list_values(plain) == values
    listed = {referral.pk: referral for referral in referrals}
    for row in values:
        referral = listed[row["id"]]
        assert row == {
            "id": referral.pk,
            "patient_id": referral.patient_id,
            "status": referral.status,
            "recommendation": referral.recommendation,
            "flagged": referral.flagged,
            "updated_at": referral.updated_at,
            "family_name": referral.patient.family_name,
            "given_name": referral.patient.given_name,
            "mrn": referral.patient.mrn,
            "level_labels": [level.level for level in referral.levels.order_by("position")],
        }
    assert {row["pk"]: row["levels"] for row in views._referral_rows(referrals)} == {
        first.pk: ["S1", "C2"],
        second.pk: [],
    }


def test_an_empty_page_says_no_referrals(physician_client, django_assert_num_queries):
    url = reverse("patients:referral-list")
    physician_client.get(url)
    # No page of rows to read when the count is 0.
    with django_assert_num_queries(STATEMENTS - 1):
        response = physician_client.get(url)
    html = page(response)
    assert "No referrals found." in html and "0 referrals" in html
    assert 'data-referral="' not in html
