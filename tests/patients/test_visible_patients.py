"""Which patients a physician sees: registered by them or referred by them, nobody else's."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import access, selectors
from patients.access import Purpose

from .conftest import eligible_case, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_patients(physician, other_physician, make_patient, make_referral):
    """Registered by the physician; registered by another and referred by the physician;
    registered and referred by another only."""
    case = eligible_case(timezone.localdate())
    mine = make_patient(physician, family_name="Mine")
    referred = make_patient(other_physician, family_name="Referred")
    make_referral(referred, physician, case)
    make_referral(referred, physician, case)
    theirs = make_patient(other_physician, family_name="Theirs")
    make_referral(theirs, other_physician, case)
    return mine, referred, theirs


@pytest.fixture
def shared_patient(physician, other_physician, make_patient, make_referral):
    """Registered by the physician, referred once by them and twice by another physician."""
    case = eligible_case(timezone.localdate())
    shared = make_patient(physician, family_name="Shared")
    make_referral(shared, physician, case)
    make_referral(shared, other_physician, case)
    make_referral(shared, other_physician, case)
    return shared


def test_a_physician_sees_the_patients_they_registered_or_referred(
    physician, make_user, three_patients
):
    mine, referred, theirs = three_patients
    assert set(access.patients_visible_to(physician, purpose=Purpose.RECORD)) == {mine, referred}
    assert access.patient_for(physician, mine.pk, purpose=Purpose.RECORD) == mine
    assert access.patient_for(physician, referred.pk, purpose=Purpose.RECORD) == referred
    for pk in (theirs.pk, theirs.pk + 1000):
        with pytest.raises(Http404):
            access.patient_for(physician, pk, purpose=Purpose.RECORD)
    superuser = make_user(superuser=True)
    assert set(access.patients_visible_to(superuser, purpose=Purpose.RECORD)) == {
        mine,
        referred,
        theirs,
    }
    assert access.patient_for(superuser, theirs.pk, purpose=Purpose.RECORD) == theirs


def test_an_own_patient_is_found_in_one_query_a_referred_one_in_two(physician, three_patients):
    mine, referred, _ = three_patients
    with CaptureQueriesContext(connection) as queries:
        access.patient_for(physician, mine.pk, purpose=Purpose.RECORD)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        access.patient_for(physician, referred.pk, purpose=Purpose.RECORD)
    assert len(queries) == 2


def test_patient_list_counts_referrals_and_searches(physician, make_patient, three_patients):
    mine, referred, _ = three_patients
    listed = list(selectors.patient_list(user=physician))
    assert [(p.family_name, p.referral_count) for p in listed] == [("Mine", 0), ("Referred", 2)]
    found = selectors.patient_list(user=physician, search="refer")
    assert [p.family_name for p in found] == ["Referred"]
    assert selectors.patient_list(user=physician, search="Theirs").count() == 0


def test_patient_list_counts_only_the_referrals_the_physician_sees(
    physician, other_physician, make_user, shared_patient
):
    # The patient's page lists only one's own referrals; the list must not reveal how often
    # other physicians referred the patient.
    [listed] = selectors.patient_list(user=physician)
    assert (
        listed.referral_count
        == 1
        == len(selectors.patient_referrals(patient=shared_patient, user=physician))
    )
    [listed] = selectors.patient_list(user=other_physician)
    assert listed.referral_count == 2
    [listed] = selectors.patient_list(user=make_user(superuser=True))
    assert listed.referral_count == 3


def test_patient_list_page_shows_registered_and_referred_patients(physician_client, three_patients):
    html = page(physician_client.get(reverse("patients:patient-list")))
    assert "Mine," in html and "Referred," in html and "Theirs," not in html
    assert "2 patients" in html


def test_patient_list_query_uses_a_union_not_an_or_nor_a_join(physician):
    # docs/performance.md item 3: the OR with an EXISTS scanned every patient; the count of
    # referrals, a join grouped over every visible patient, is a subquery per row shown.
    sql = str(selectors.patient_list(user=physician).query)
    assert " UNION " in sql and " OR " not in sql and " JOIN " not in sql
