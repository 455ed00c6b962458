"""The live findings panel: the engine's findings for the unsaved form, nothing stored."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from eligibility.conf import get_thresholds
from eligibility.engine import evaluate
from eligibility.i18n import localized_result
from eligibility.models import Evaluation
from patients import intake, views
from patients.models import Patient, Referral, TargetLevel
from patients.services import referral_submit

from .conftest import (
    case_form_data,
    eligible_case,
    level_labels,
    load_example,
    page,
    read_findings,
    result_findings,
    shared_examples,
    shift_case_to,
)

pytestmark = pytest.mark.django_db


def _live_url(patient):
    return reverse("patients:referral-live-new", args=[patient.pk])


def _row_counts():
    return (
        Referral.objects.count(),
        TargetLevel.objects.count(),
        Evaluation.objects.count(),
        Referral.history.count(),
    )


@pytest.mark.parametrize("example", shared_examples(), ids=lambda path: path.stem)
def test_live_panel_shows_the_engines_findings_for_each_shared_example(
    physician_client, physician, make_patient, example
):
    today = timezone.localdate()
    shared = load_example(example)
    case = shift_case_to(shared["case"], today)
    patient = make_patient(
        physician,
        sex=case["patient"]["sex"],
        date_of_birth=date.fromisoformat(case["patient"]["date_of_birth"]),
    )
    before = _row_counts()
    response = physician_client.post(_live_url(patient), case_form_data(case))
    assert response.status_code == 200
    panel = read_findings(page(response))
    expected = evaluate(case, today=today, thresholds=get_thresholds())
    assert (
        panel.recommendation == expected["recommendation"] == shared["expected"]["recommendation"]
    )
    # The panel reads the engine's findings in the physician's language: in English the same
    # sentences, with dates in the language's date format (eligibility/i18n.py).
    shown = localized_result(expected, case=case, thresholds=get_thresholds(), today=today)
    assert panel.findings(level_labels(shown)) == result_findings(shown)
    assert panel.missing == expected["missing"]
    labels = level_labels(expected)
    for wanted in shared["expected"]["levels"]:
        met = {
            line["rule"]
            for line in panel.lines
            if line["status"] == "met" and line["level"] in {"", wanted["level"]}
        }
        assert met == set(wanted["met"]), wanted["level"]
        if len(labels) > 1:
            assert panel.level_recommendations[wanted["level"]] == wanted["recommendation"]
    assert _row_counts() == before


def test_live_panel_of_a_stored_referral_evaluates_the_posted_answers(
    physician_client, physician, make_patient, make_referral
):
    today = timezone.localdate()
    case = eligible_case(today)
    referral = make_referral(make_patient(physician), physician, case)
    level = referral.levels.get()
    case["systemic_infection"] = True
    data = case_form_data(case, level_ids={0: level.pk})
    response = physician_client.post(reverse("patients:referral-live", args=[referral.pk]), data)
    assert read_findings(page(response)).recommendation == "not_eligible"
    referral.refresh_from_db()
    assert referral.systemic_infection is False
    assert not Evaluation.objects.exists()


def test_live_panel_of_a_returned_referral_does_not_read_its_stored_evaluation(
    physician_client, physician, make_patient, make_referral
):
    today = timezone.localdate()
    case = eligible_case(today)
    referral = make_referral(make_patient(physician), physician, case)
    referral_submit(referral=referral, by=physician, today=today)
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.INFORMATION_REQUESTED)
    level = referral.levels.get()
    case["local_infection"] = True
    data = case_form_data(case, level_ids={0: level.pk})
    url = reverse("patients:referral-live", args=[referral.pk])
    with CaptureQueriesContext(connection) as queries:
        response = physician_client.post(url, data)
    assert read_findings(page(response)).recommendation == "not_eligible"
    assert not any("eligibility_evaluation" in query["sql"] for query in queries)
    assert Evaluation.objects.filter(referral=referral).count() == 1


def test_live_panel_turns_from_incomplete_to_eligible_as_answers_come(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    complete = case_form_data(case)
    partial = {**complete, "coagulopathy": "unknown", "allergy_status": "unknown"}
    html = page(physician_client.post(_live_url(patient), partial))
    panel = read_findings(html)
    assert panel.recommendation == "incomplete"
    assert panel.missing == ["coagulopathy", "allergies"]
    # Each missing answer links to its question.
    assert 'href="#div_id_coagulopathy" data-missing-target="#div_id_coagulopathy"' in html
    assert 'href="#div_id_allergy_status"' in html
    assert read_findings(
        page(physician_client.post(_live_url(patient), complete))
    ).recommendation == ("eligible")


def test_live_panel_lists_invalid_answers_and_evaluates_the_rest_as_unknown(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    data = case_form_data(eligible_case(timezone.localdate()))
    data["inr"] = "-3"
    data["levels-0-pain_nrs"] = "eleven"
    html = page(physician_client.post(_live_url(patient), data))
    panel = read_findings(html)
    assert panel.recommendation == "incomplete"
    assert "levels[0].pain_nrs" in panel.missing
    assert str(intake.INR_RANGE) in html and str(intake.NRS_RANGE) in html
    assert 'href="#div_id_levels-0-pain_nrs"' in html


def test_live_panel_without_levels_says_what_to_do(physician_client, physician, make_patient):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"] = []
    html = page(physician_client.post(_live_url(patient), case_form_data(case)))
    assert str(views.NO_LEVELS_YET) in html


def test_hidden_tumour_questions_link_to_the_etiology(physician_client, physician, make_patient):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"][0]["etiology"] = None
    html = page(physician_client.post(_live_url(patient), case_form_data(case)))
    missing = 'data-missing="levels[0].epidural_extension"><a class="alert-link" '
    assert missing + 'href="#div_id_levels-0-etiology"' in html


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"levels-TOTAL_FORMS": "x"},
        {"levels-TOTAL_FORMS": "100000", "levels-INITIAL_FORMS": "0"},
        {"levels-TOTAL_FORMS": "1", "levels-INITIAL_FORMS": "0", "levels-0-id": "999999"},
        {"levels-TOTAL_FORMS": "1", "levels-INITIAL_FORMS": "0", "levels-0-level": "L1\x00"},
        {
            "coagulopathy": ["yes", "no"],
            "allergies": ["cement", "cement"],
            "allergy_status": "some",
        },
    ],
)
def test_live_panel_answers_any_body_without_error(physician_client, physician, make_patient, body):
    patient = make_patient(physician)
    response = physician_client.post(_live_url(patient), body)
    assert response.status_code == 200
    assert 'data-testid="findings"' in page(response)
    assert Patient.objects.count() == 1 and not Referral.objects.exists()


def test_live_panel_refuses_get(physician_client, physician, make_patient):
    assert physician_client.get(_live_url(make_patient(physician))).status_code == 405


def test_add_level_returns_the_next_row_and_the_new_form_count(physician_client):
    url = reverse("patients:level-form")
    html = page(physician_client.get(url, {"levels-TOTAL_FORMS": "2"}))
    assert 'name="levels-2-level"' in html
    assert 'id="id_levels-TOTAL_FORMS" hx-swap-oob="true"' in html and 'value="3"' in html
    assert "Target level 3" in html
    assert physician_client.get(url, {"levels-TOTAL_FORMS": "29"}).status_code == 400
    assert physician_client.get(url, {"levels-TOTAL_FORMS": "two"}).status_code == 400


def test_live_panel_replaces_the_phone_verdict_bar_out_of_band(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["local_infection"] = True
    html = page(physician_client.post(_live_url(patient), case_form_data(case)))
    bar = html[html.index('id="verdict-bar"') :]
    assert bar.startswith(
        'id="verdict-bar" class="verdict-bar d-lg-none" data-testid="verdict-bar"'
    )
    assert 'hx-swap-oob="true"' in bar[:200]
    assert "Engine recommends: not eligible" in bar
    assert 'data-bar-rule="CI-INFECTION"' in bar
