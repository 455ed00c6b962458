"""Physician pages through HTTP: lists, search, permissions and query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from patients import forms
from patients.models import Patient, Referral

from .conftest import case_form_data, eligible_case, page

pytestmark = pytest.mark.django_db


def _referrals_for(physician, make_patient, make_referral, count: int):
    case = eligible_case(timezone.localdate())
    for _ in range(count):
        make_referral(make_patient(physician), physician, case)


def _queries(client, url) -> int:
    """Queries of a page view, counted on a second view (the first may touch the session)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_my_referrals_list_runs_as_many_queries_for_30_rows_as_for_1(
    physician_client, physician, make_patient, make_referral, django_assert_num_queries
):
    url = reverse("patients:referral-list")
    _referrals_for(physician, make_patient, make_referral, 1)
    at_one = _queries(physician_client, url)
    _referrals_for(physician, make_patient, make_referral, 29)
    with django_assert_num_queries(at_one):
        response = physician_client.get(url)
    assert page(response).count('data-referral="') == 25


def test_my_patients_list_runs_as_many_queries_for_30_rows_as_for_1(
    physician_client, physician, make_patient, django_assert_num_queries
):
    url = reverse("patients:patient-list")
    make_patient(physician)
    at_one = _queries(physician_client, url)
    for _ in range(29):
        make_patient(physician)
    with django_assert_num_queries(at_one):
        response = physician_client.get(url)
    assert page(response).count("New referral</a>") == 25


def test_patient_detail_runs_as_many_queries_for_30_referrals_as_for_1(
    physician_client, physician, make_patient, make_referral, django_assert_num_queries
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    make_referral(patient, physician, case)
    at_one = _queries(physician_client, patient.get_absolute_url())
    for _ in range(29):
        make_referral(patient, physician, case)
    with django_assert_num_queries(at_one):
        response = physician_client.get(patient.get_absolute_url())
    assert page(response).count("Referral #") == 30


def test_my_referrals_shows_status_recommendation_and_last_update(
    physician_client, physician, make_patient
):
    patient = make_patient(physician, family_name="Lindqvist")
    url = reverse("patients:referral-create", args=[patient.pk])
    physician_client.post(url, case_form_data(eligible_case(timezone.localdate()), action="submit"))
    html = page(physician_client.get(reverse("patients:referral-list")))
    assert "Lindqvist" in html
    assert "Submitted" in html
    assert '<span class="badge badge-rec-eligible">Eligible</span>' in html
    referral = Referral.objects.get()
    assert f'datetime="{timezone.localtime(referral.updated_at).isoformat()}"' in html


def test_search_by_name_or_mrn_is_posted_and_keeps_phi_out_of_the_url(
    physician_client, physician, make_patient, make_referral
):
    case = eligible_case(timezone.localdate())
    make_referral(make_patient(physician, family_name="Okonkwo", mrn="A-1001"), physician, case)
    make_referral(make_patient(physician, family_name="Brennan", mrn="B-2002"), physician, case)
    url = reverse("patients:referral-list")
    html = page(physician_client.post(url, {"q": "okonk"}, headers={"HX-Request": "true"}))
    assert "Okonkwo" in html and "Brennan" not in html
    assert "<html" not in html  # the htmx response is the results fragment only
    html = page(physician_client.post(url, {"q": "b-2002"}))
    assert "Brennan" in html and "Okonkwo" not in html
    # A name in the query string is ignored: search terms are never read from the URL.
    html = page(physician_client.get(url, {"q": "Okonkwo"}))
    assert "Okonkwo" in html and "Brennan" in html
    assert 'method="post"' in page(physician_client.get(url))


def test_list_pages_through_the_search_form(
    physician_client, physician, make_patient, make_referral
):
    _referrals_for(physician, make_patient, make_referral, 30)
    url = reverse("patients:referral-list")
    first = page(physician_client.post(url, {"q": "Family"}))
    second = page(physician_client.post(url, {"q": "Family", "page": "2"}))
    assert first.count('data-referral="') == 25
    assert second.count('data-referral="') == 5
    assert 'form="referral-search" name="page" value="2"' in first


def test_status_filter(physician_client, physician, make_patient, make_referral):
    case = eligible_case(timezone.localdate())
    make_referral(make_patient(physician), physician, case)
    url = reverse("patients:referral-list")
    assert page(physician_client.get(url, {"status": "submitted"})).count('data-referral="') == 0
    assert page(physician_client.get(url, {"status": "draft"})).count('data-referral="') == 1


def test_physician_sees_only_their_own_referrals_and_patients(
    physician_client, physician, other_physician, make_patient, make_referral
):
    case = eligible_case(timezone.localdate())
    make_referral(make_patient(physician, family_name="Mine"), physician, case)
    make_referral(make_patient(other_physician, family_name="Theirs"), other_physician, case)
    html = page(physician_client.get(reverse("patients:referral-list")))
    assert "Mine" in html and "Theirs" not in html
    html = page(physician_client.post(reverse("patients:patient-list"), {"q": "Theirs"}))
    assert "Theirs," not in html and "No patients found." in html


@pytest.mark.parametrize(
    "name", ["patients:referral-detail", "patients:referral-edit", "patients:referral-live"]
)
def test_physician_cannot_open_or_post_to_another_physicians_referral(
    physician_client, other_physician, make_patient, make_referral, name
):
    case = eligible_case(timezone.localdate())
    referral = make_referral(make_patient(other_physician), other_physician, case)
    url = reverse(name, args=[referral.pk])
    if name != "patients:referral-live":
        assert physician_client.get(url).status_code == 404
    before = Referral.objects.get().updated_at
    response = physician_client.post(url, case_form_data(case, action="submit"))
    assert response.status_code in (404, 405)
    assert Referral.objects.get().updated_at == before
    assert not referral.evaluations.exists()


@pytest.mark.parametrize(
    "name",
    [
        "patients:patient-detail",
        "patients:patient-update",
        "patients:referral-create",
        "patients:referral-live-new",
    ],
)
def test_physician_cannot_open_or_post_to_another_physicians_patient(
    physician_client, other_physician, make_patient, name
):
    patient = make_patient(other_physician, family_name="Private")
    url = reverse(name, args=[patient.pk])
    if name != "patients:referral-live-new":
        assert physician_client.get(url).status_code == 404
    case = eligible_case(timezone.localdate())
    response = physician_client.post(url, {**case_form_data(case, action="submit"), "mrn": "X"})
    assert response.status_code in (404, 405)
    assert not Referral.objects.exists()
    assert Patient.objects.get().family_name == "Private"


@pytest.mark.parametrize("role", [Role.RADIOLOGIST, Role.STAFF])
def test_other_roles_cannot_use_the_physician_pages(client, make_user, role):
    client.force_login(make_user(role))
    for name in ("patients:referral-list", "patients:patient-list", "patients:patient-create"):
        assert client.get(reverse(name)).status_code == 403


def test_superuser_sees_every_referral(client, make_user, physician, make_patient, make_referral):
    referral = make_referral(
        make_patient(physician), physician, eligible_case(timezone.localdate())
    )
    client.force_login(make_user(superuser=True))
    assert client.get(referral.get_absolute_url()).status_code == 200


def test_patient_registration_then_straight_to_the_referral(physician_client, physician):
    response = physician_client.post(
        reverse("patients:patient-create"),
        {
            "mrn": "VP-0001",
            "given_name": "Ingrid",
            "family_name": "Solberg",
            "date_of_birth": "1944-07-01",
            "sex": "female",
        },
    )
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:referral-create", args=[patient.pk])
    assert patient.created_by == physician
    assert patient.history.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2999-01-01", str(forms.DATE_IN_FUTURE)),
        ("date_of_birth", "1850-01-01", str(forms.DATE_OF_BIRTH_TOO_OLD)),
        ("mrn", "TAKEN-1", str(forms.MRN_TAKEN)),
        ("sex", "unknown", "Select a valid choice."),
    ],
)
def test_patient_registration_refuses_bad_input(
    physician_client, physician, make_patient, field, value, message
):
    make_patient(physician, mrn="TAKEN-1")
    data = {
        "mrn": "NEW-1",
        "given_name": "Ingrid",
        "family_name": "Solberg",
        "date_of_birth": "1944-07-01",
        "sex": "female",
        field: value,
    }
    response = physician_client.post(reverse("patients:patient-create"), data)
    assert response.status_code == 400
    assert message in page(response)
    assert Patient.objects.count() == 1


def test_patient_update_changes_the_record(physician_client, physician, make_patient):
    patient = make_patient(physician)
    data = {
        "mrn": patient.mrn,
        "given_name": "Corrected",
        "family_name": patient.family_name,
        "date_of_birth": "1946-03-15",
        "sex": "female",
    }
    response = physician_client.post(reverse("patients:patient-update", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.given_name, patient.date_of_birth) == ("Corrected", date(1946, 3, 15))


def test_referral_detail_shows_findings_evaluations_and_history(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    url = reverse("patients:referral-create", args=[patient.pk])
    physician_client.post(url, case_form_data(eligible_case(timezone.localdate()), action="submit"))
    referral = Referral.objects.get()
    html = page(physician_client.get(referral.get_absolute_url()))
    assert 'data-rule="IND-OSTEOPOROSIS" data-status="met"' in html
    assert "Severe painful Osteoporosis" in html
    assert f"Evaluation #{referral.latest_evaluation_id}" in html
    assert "Referral created" in html and "Level L2 added" in html
    assert "Submitted" in html


def test_home_and_navigation_link_the_physician_pages(physician_client):
    html = page(physician_client.get(reverse("home")))
    assert reverse("patients:referral-list") in html
    assert reverse("patients:patient-create") in html
