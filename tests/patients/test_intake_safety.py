"""Intake safety on the server: numbers and dates read as typed, limits and warnings next to the
field, the assessment date, consistency warnings, autosave and the ended session."""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SESSION_LAST_ACTIVITY_KEY
from audit.models import AuditEvent
from eligibility.models import Evaluation
from patients import intake, services
from patients.models import Referral, TargetLevel
from vpselect.login_required import SESSION_ENDED_EVENT

from .conftest import case_form_data, eligible_case, page

pytestmark = pytest.mark.django_db


def _create_url(patient):
    return reverse("patients:referral-create", args=[patient.pk])


def _live_url(patient):
    return reverse("patients:referral-live-new", args=[patient.pk])


def _autosave_new_url(patient):
    return reverse("patients:referral-autosave-new", args=[patient.pk])


def _form(**changes) -> dict:
    """The eligible case's form body (assessed today) with posted values replaced."""
    data = case_form_data(eligible_case(timezone.localdate()))
    data.update(changes)
    return data


def _feedback(html: str, field: str) -> str:
    """The feedback block of a question (errors, reading, advice) in a page or live response."""
    start = html.rindex("<div", 0, html.index(f'id="feedback_id_{field}"'))
    depth, position = 0, start
    for tag in re.finditer(r"<div\b|</div>", html[start:]):
        depth += 1 if tag.group() == "<div" else -1
        if depth == 0:
            position = start + tag.end()
            break
    return html[start:position]


# --- Numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("posted", "stored"),
    [
        ({"inr": "1,4", "platelets": "45,5"}, (Decimal("1.4"), Decimal("45.5"))),
        ({"inr": "1.4", "platelets": "210"}, (Decimal("1.4"), Decimal(210))),
        ({"inr": "12", "platelets": "1500"}, (Decimal(12), Decimal(1500))),
    ],
)
def test_numbers_typed_with_a_comma_or_a_point_are_stored_as_typed(
    physician_client, physician, make_patient, posted, stored
):
    patient = make_patient(physician)
    response = physician_client.post(_create_url(patient), {**_form(**posted), "action": "draft"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.inr, referral.platelets) == stored


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("platelets", "45000", intake.PLATELETS_PER_MICROLITRE),
        ("platelets", "150000", intake.PLATELETS_PER_MICROLITRE),
        ("platelets", "45.000", "without a thousands separator"),
        ("platelets", "-1", intake.PLATELETS_RANGE),
        ("inr", "0", intake.INR_RANGE),
        ("inr", "20.01", intake.INR_RANGE),
        ("inr", "1,400", "without a thousands separator"),
        ("inr", "1.456", "without a thousands separator"),
        ("inr", "1,4567", intake.INR_RANGE),
    ],
)
def test_impossible_or_ambiguous_numbers_are_refused_next_to_the_field_and_nothing_is_saved(
    physician_client, physician, make_patient, field, typed, message
):
    patient = make_patient(physician)
    data = {**_form(**{field: typed}), "action": "submit"}
    response = physician_client.post(_create_url(patient), data)
    assert response.status_code == 400
    assert str(message) in _feedback(page(response), field)
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("level_field", "typed", "message"),
    [
        ("canal_compromise_pct", "100,5", intake.PERCENT_RANGE),
        ("canal_compromise_pct", "25,55", intake.PERCENT_RANGE),
        ("pain_nrs", "7,5", intake.NRS_RANGE),
        ("pain_nrs", "11", intake.NRS_RANGE),
    ],
)
def test_level_numbers_out_of_range_are_refused_next_to_the_field(
    physician_client, physician, make_patient, level_field, typed, message
):
    patient = make_patient(physician)
    data = {**_form(**{f"levels-0-{level_field}": typed}), "action": "submit"}
    response = physician_client.post(_create_url(patient), data)
    assert response.status_code == 400
    assert str(message) in _feedback(page(response), f"levels-0-{level_field}")


def test_the_live_panel_echoes_how_each_number_was_read_next_to_its_field(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    data = _form(inr="1,4", platelets="45,5", **{"levels-0-canal_compromise_pct": "12,5"})
    html = page(physician_client.post(_live_url(patient), data))
    # Swapped out of band next to each question, while the physician types.
    assert 'id="feedback_id_inr" data-feedback hx-swap-oob="true"' in html
    assert "Read as INR 1.4" in _feedback(html, "inr")
    assert "Read as 45.5 ×10⁹/L" in _feedback(html, "platelets")
    assert "Read as 12.5 %" in _feedback(html, "levels-0-canal_compromise_pct")
    assert not Referral.objects.exists()


def test_a_refused_number_is_marked_invalid_live_and_never_echoed(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    html = page(physician_client.post(_live_url(patient), _form(platelets="45000")))
    feedback = _feedback(html, "platelets")
    assert "data-feedback-invalid" in feedback
    assert str(intake.PLATELETS_PER_MICROLITRE) in feedback
    assert "Read as" not in feedback


@pytest.mark.parametrize(
    ("field", "typed", "warning"),
    [("inr", "12", intake.INR_UNUSUAL), ("platelets", "1500", intake.PLATELETS_UNUSUAL)],
)
def test_unusual_but_possible_values_are_accepted_with_a_warning_to_check_them(
    physician_client, physician, make_patient, field, typed, warning
):
    patient = make_patient(physician)
    html = page(physician_client.post(_live_url(patient), _form(**{field: typed})))
    assert str(warning) in _feedback(html, field)
    assert "data-feedback-invalid" not in _feedback(html, field)


def test_a_real_inr_of_12_is_a_contraindication_not_an_error(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    data = {**_form(inr="12", coagulopathy="yes", coagulopathy_corrected="no"), "action": "submit"}
    response = physician_client.post(_create_url(patient), data)
    assert response.status_code == 302
    assert Evaluation.objects.get().recommendation == "not_eligible"


def test_inputs_ask_for_a_decimal_keypad_as_text_never_a_locale_dependent_number_control(
    physician_client, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    referral = make_referral(patient, physician, eligible_case(timezone.localdate()))
    html = page(physician_client.get(reverse("patients:referral-edit", args=[referral.pk])))
    assert 'type="number"' not in html and 'type="date"' not in html
    for name, keypad in [
        ("inr", "decimal"),
        ("platelets", "decimal"),
        ("levels-0-pain_nrs", "numeric"),
    ]:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert tag is not None, name
        assert 'type="text"' in tag.group() and f'inputmode="{keypad}"' in tag.group()
    assert 'placeholder="dd/mm/yyyy"' in html
    assert "×10⁹/L, e.g. 45 (not 45000)" in html


# --- Dates --------------------------------------------------------------------------------------


def test_dates_are_read_in_the_clinics_format_and_echoed_with_the_fractures_age(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    today = timezone.localdate()
    fractured = today - timedelta(days=63)
    data = _form(**{"levels-0-fracture_date": fractured.strftime("%d/%m/%Y")})
    data["assessed_on"] = today.isoformat()
    html = page(physician_client.post(_live_url(patient), data))
    words = f"{fractured.day} {fractured.strftime('%b')} {fractured.year}"
    assert f"Read as {words} — 63 days before assessment" in html
    response = physician_client.post(_create_url(patient), {**data, "action": "draft"})
    assert response.status_code == 302
    assert TargetLevel.objects.get().fracture_date == fractured


def test_a_date_that_does_not_exist_or_has_a_two_digit_year_is_refused(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    for typed in ("31/02/2026", "02/10/26"):
        data = {**_form(**{"levels-0-fracture_date": typed}), "action": "submit"}
        response = physician_client.post(_create_url(patient), data)
        assert response.status_code == 400
        assert 'id="id_levels-0-fracture_date_error"' in page(response)
    assert not Referral.objects.exists()


# --- Assessment date ------------------------------------------------------------------------


def test_a_new_referral_is_assessed_today_by_default(physician_client, physician, make_patient):
    patient = make_patient(physician)
    html = page(physician_client.get(_create_url(patient)))
    today = timezone.localdate()
    assert f'name="assessed_on" value="{today.strftime("%d/%m/%Y")}"' in html


def test_the_assessment_date_is_the_cases_and_shown_on_the_evaluation(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    today = timezone.localdate()
    assessed = today - timedelta(days=5)
    case = eligible_case(today)
    case["levels"][0]["fracture_date"] = (today - timedelta(days=30)).isoformat()
    data = case_form_data(case, action="submit")
    data["assessed_on"] = assessed.strftime("%d/%m/%Y")
    response = physician_client.post(_create_url(patient), data)
    assert response.status_code == 302
    referral = Referral.objects.get()
    evaluation = Evaluation.objects.get()
    assert referral.assessed_on == assessed
    assert evaluation.case["assessed_on"] == assessed.isoformat()
    detail = page(physician_client.get(referral.get_absolute_url()))
    words = f"{assessed.day} {assessed.strftime('%b')} {assessed.year}"
    assert f"assessed on {words}" in detail


def test_the_assessment_date_is_on_the_radiologists_review_and_in_the_change_history(
    physician_client, physician, make_patient, client, radiologist
):
    patient = make_patient(physician)
    assessed = timezone.localdate() - timedelta(days=3)
    data = {**_form(assessed_on=assessed.isoformat()), "action": "draft"}
    physician_client.post(_create_url(patient), data)
    referral = Referral.objects.get()
    words = f"{assessed.day} {assessed.strftime('%b')} {assessed.year}"
    detail = page(physician_client.get(referral.get_absolute_url()))
    row = f'<th scope="row" class="fw-normal">Assessment date</th><td>{assessed.isoformat()}</td>'
    assert row in detail
    history = detail[detail.index('id="history-heading"') :]
    assert "assessment date" in history
    data = {**_form(assessed_on=assessed.isoformat()), "action": "submit"}
    physician_client.post(reverse("patients:referral-edit", args=[referral.pk]), data)
    client.force_login(radiologist)
    review = page(client.get(reverse("reviews:review", args=[referral.pk])))
    assert f"assessed on {words}" in review


def test_a_submission_without_an_assessment_date_is_assessed_on_the_day_of_submission(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    data = {**_form(assessed_on=""), "action": "submit"}
    assert physician_client.post(_create_url(patient), data).status_code == 302
    assert Referral.objects.get().assessed_on == timezone.localdate()


@pytest.mark.parametrize("when", ["tomorrow", "before_fracture"])
def test_an_assessment_date_after_today_or_before_a_fracture_is_refused(
    physician_client, physician, make_patient, when
):
    patient = make_patient(physician)
    today = timezone.localdate()
    data = {**_form(), "action": "submit"}
    fractured = date_text = None
    if when == "tomorrow":
        date_text, message = (today + timedelta(days=1)).isoformat(), intake.ASSESSED_AFTER_TODAY
    else:
        fractured = today - timedelta(days=10)
        data["levels-0-fracture_date"] = fractured.isoformat()
        date_text = (today - timedelta(days=20)).isoformat()
        message = "before the fracture date of L2"
    data["assessed_on"] = date_text
    response = physician_client.post(_create_url(patient), data)
    assert response.status_code == 400
    assert str(message) in _feedback(page(response), "assessed_on")
    assert not Referral.objects.exists()


# --- Consistency warnings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"pain_controlled_by_medical_therapy": "yes", "levels-0-pain_nrs": "9"},
            "pain_controlled_by_medical_therapy",
            "L2 has pain 9/10",
        ),
        ({"coagulopathy": "no", "inr": "2,1"}, "coagulopathy", "the INR is 2.1"),
        ({"coagulopathy": "no", "platelets": "30"}, "platelets", "platelets are 30"),
        (
            {"coagulopathy": "no", "coagulopathy_corrected": "yes"},
            "coagulopathy_corrected",
            "no coagulation disorder is",
        ),
        (
            {"levels-0-fracture": "no", "levels-0-fracture_date": "2026-10-02"},
            "levels-0-fracture_date",
            "not fractured, but a fracture date",
        ),
        (
            {"levels-0-fracture": "no", "levels-0-imaging_acute": "yes"},
            "levels-0-imaging_acute",
            "imaging shows an acute fracture",
        ),
        (
            {"radicular_pain": "no", "radicular_cause": "vertebral_collapse"},
            "radicular_cause",
            "its cause is given",
        ),
    ],
)
def test_contradictory_answers_are_pointed_out_next_to_the_question_without_blocking(
    physician_client, physician, make_patient, changes, field, words
):
    patient = make_patient(physician)
    html = page(physician_client.post(_live_url(patient), _form(**changes)))
    assert words in _feedback(html, field)
    assert words in html[html.index('data-testid="findings-warnings"') :]
    response = physician_client.post(_create_url(patient), {**_form(**changes), "action": "submit"})
    assert response.status_code == 302  # advice, never an error


def test_consistent_answers_carry_no_warning(physician_client, physician, make_patient):
    patient = make_patient(physician)
    html = page(physician_client.post(_live_url(patient), _form()))
    assert "data-warning" not in html and 'data-testid="findings-warnings"' not in html


# --- Autosave ---------------------------------------------------------------------------------


def test_the_first_autosave_creates_the_draft_and_tells_the_page_its_urls_and_level_ids(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    response = physician_client.post(_autosave_new_url(patient), _form(platelets="45000"))
    assert response.status_code == 200
    saved = response.json()
    referral = Referral.objects.get()
    level = TargetLevel.objects.get()
    assert saved["saved"] is True
    assert saved["edit_url"] == reverse("patients:referral-edit", args=[referral.pk])
    assert saved["live_url"] == reverse("patients:referral-live", args=[referral.pk])
    assert saved["autosave_url"] == reverse("patients:referral-autosave", args=[referral.pk])
    assert saved["level_ids"] == {"levels-0": level.pk}
    assert saved["not_saved"] == 1  # the refused platelet count
    assert referral.status == Referral.Status.DRAFT and referral.platelets is None
    assert not Evaluation.objects.exists()


def test_later_autosaves_update_the_same_draft_and_its_levels(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    saved = physician_client.post(_autosave_new_url(patient), _form()).json()
    level_id = saved["level_ids"]["levels-0"]
    data = _form(inr="1,3", **{"levels-0-id": str(level_id), "levels-0-pain_nrs": "6"})
    again = physician_client.post(saved["autosave_url"], data).json()
    assert again["level_ids"] == {"levels-0": level_id}
    assert Referral.objects.get().inr == Decimal("1.3")
    assert TargetLevel.objects.get().pain_nrs == 6


def test_autosave_is_audited_and_stamps_the_sessions_activity(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    session = physician_client.session
    session[SESSION_LAST_ACTIVITY_KEY] = int(time.time()) - 50
    session.save()
    physician_client.post(_autosave_new_url(patient), _form())
    referral = Referral.objects.get()
    assert AuditEvent.objects.filter(
        object_type="patients.referral", object_id=str(referral.pk)
    ).exists()
    assert physician_client.session[SESSION_LAST_ACTIVITY_KEY] >= int(time.time()) - 1


def test_autosave_of_a_submitted_referral_is_refused_and_changes_nothing(
    physician_client, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    referral = make_referral(patient, physician, eligible_case(timezone.localdate()))
    services.referral_submit(referral=referral, by=physician)
    url = reverse("patients:referral-autosave", args=[referral.pk])
    response = physician_client.post(url, _form(inr="3"))
    assert response.status_code == 409
    assert response.json()["message"] == services.REFERRAL_NOT_EDITABLE
    referral.refresh_from_db()
    assert referral.inr != Decimal(3)


def test_another_physicians_referral_cannot_be_autosaved(
    client, other_physician, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    referral = make_referral(patient, physician)
    client.force_login(other_physician)
    assert client.post(_autosave_new_url(patient), _form()).status_code == 404
    url = reverse("patients:referral-autosave", args=[referral.pk])
    assert client.post(url, _form()).status_code == 404
    assert Referral.objects.count() == 1


def test_a_draft_restored_after_signing_in_again_says_so(physician_client, physician, make_patient):
    patient = make_patient(physician)
    data = {**_form(), "action": "draft", "restored": "1"}
    response = physician_client.post(_create_url(patient), data, follow=True)
    assert "Welcome back" in page(response)
    assert Referral.objects.get().status == Referral.Status.DRAFT


# --- An ended session -------------------------------------------------------------------------


def test_an_htmx_request_meeting_an_ended_session_is_told_so_and_swaps_nothing(
    client, physician, make_patient
):
    patient = make_patient(physician)
    response = client.post(_live_url(patient), _form(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == SESSION_ENDED_EVENT
    assert response["HX-Reswap"] == "none"
    assert response.content == b""
    assert not Referral.objects.exists()


def test_an_autosave_meeting_an_idle_timed_out_session_stores_nothing(
    physician_client, physician, make_patient, settings
):
    patient = make_patient(physician)
    session = physician_client.session
    session[SESSION_LAST_ACTIVITY_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = physician_client.post(_autosave_new_url(patient), _form(), HTTP_HX_REQUEST="true")
    assert response["HX-Trigger"] == SESSION_ENDED_EVENT
    assert not Referral.objects.exists()


def test_a_page_request_without_a_session_still_goes_to_the_login_page(client, physician):
    response = client.get(reverse("patients:referral-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_stay_signed_in_restarts_the_idle_countdown(physician_client):
    session = physician_client.session
    session[SESSION_LAST_ACTIVITY_KEY] = int(time.time()) - 600
    session.save()
    response = physician_client.post(reverse("patients:session-keepalive"))
    assert response.status_code == 204
    assert physician_client.session[SESSION_LAST_ACTIVITY_KEY] >= int(time.time()) - 1


def test_the_intake_tells_the_page_the_idle_timeout_and_when_to_warn(
    physician_client, physician, make_patient, settings
):
    settings.SESSION_IDLE_TIMEOUT = 900
    html = page(physician_client.get(_create_url(make_patient(physician))))
    assert 'data-idle-seconds="900"' in html and 'data-idle-warning-seconds="120"' in html
