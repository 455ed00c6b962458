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


def test_labels_brought_by_the_rows_are_those_read_after_the_page(physician, make_patient):
    first = _referral_with_levels(physician, make_patient(physician), ["S1", "C2"])
    second = _referral_with_levels(physician, make_patient(physician), [])
    listed = list(selectors.referral_list(user=physician))
    assert {r.pk: r.level_labels for r in listed} == {first.pk: ["S1", "C2"], second.pk: []}
    # Without the array (other databases), the labels are read in one query, the same.
    expected = selectors.level_labels(listed)
    assert selectors.referral_level_labels(listed) == expected
    for referral in listed:
        del referral.level_labels
    assert selectors.referral_level_labels(listed) == expected
    assert {row["pk"]: row["levels"] for row in views._referral_rows(listed)} == {
        first.pk: "S1, C2",
        second.pk: "—",
    }
