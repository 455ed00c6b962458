"""A patient answers the follow-up questionnaire on a phone (390 px), in Italian and in
English; staff then see the answers beside the clinic's record."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from outcomes import invitations
from outcomes.services import TreatedLevelInput, procedure_record
from tests.e2e.conftest import assert_accessible, publish_docs_image
from tests.factories import ELIGIBLE_CASE, make_patient, make_referral, record_decision

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"https?://[^/\s]+(/q/[A-Za-z0-9_-]+/)")


def treated_patient(*, given_name, language, staff, radiologist, physician):
    today = timezone.localdate()
    patient = make_patient(by=physician, given_name=given_name, family_name="Esempio")
    referral = make_referral(physician=physician, patient=patient, case=ELIGIBLE_CASE, submit=True)
    record_decision(referral, by=radiologist, outcome="accept", levels_to_treat=["L2"])
    referral.refresh_from_db()
    procedure = procedure_record(
        referral=referral,
        by=radiologist,
        performed_on=today,
        levels=[TreatedLevelInput("L2", 3, "transpedicular")],
        guidance="fluoroscopy",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=today,
    )
    invitations.patient_contact_save(
        patient=patient,
        by=staff,
        email=f"{given_name.lower()}@example.org",
        mobile="",
        preferred_language=language,
        consent_to_contact=True,
        consent_recorded_on=today,
        opted_out=False,
        today=today,
        now=timezone.now(),
    )
    invitations.invitations_send(today=today + dt.timedelta(days=1), now=timezone.now())
    return procedure, LINK.search(mail.outbox[-1].body).group(1)


def watch(page) -> list[str]:
    """Console errors, CSP violations and failed requests of the page, as they happen."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None
        ),
    )
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def answer(page, answers: dict[str, str]) -> None:
    for key, value in answers.items():
        page.locator(f'fieldset[data-question="{key}"] input[value="{value}"]').check()


COMMON = {
    "pain_now": "2",
    "pain_worst_week": "4",
    "pain_medicine": "non_opioid",
    "walking": "independent",
    "usual_activities": "some_problems",
    "back_to_usual_activities": "no",
    "new_back_pain": "no",
    "fall": "no",
    "wound_problem": "no",
    "new_weakness_or_numbness": "no",
    "global_change": "6",
}


@pytest.fixture
def people(make_user):
    return {
        "physician": make_user(Role.PHYSICIAN, username="e2e-gp"),
        "radiologist": make_user(Role.RADIOLOGIST, username="e2e-ir"),
        "staff": make_user(Role.STAFF, username="e2e-staff"),
    }


def test_italian_patient_answers_on_a_phone_and_is_told_to_call_at_once(
    page, live_server, people, artifacts_dir
):
    procedure, path = treated_patient(given_name="Giulia", language="it", **people)
    problems = watch(page)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}{path}")

    assert page.url == f"{live_server.url}/q/"  # the token left the address bar
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("heading", level=1).inner_text() == "Buongiorno Giulia,"
    assert "Esempio" not in page.content()
    answer(page, COMMON)
    page.locator("#id_comment").fill("Molto meglio, ma ho un po' di febbre.")
    call_panel = page.get_by_test_id("needs-call")
    assert not call_panel.is_visible()
    page.locator('fieldset[data-question="fever"]').get_by_label("Sì").check()
    assert call_panel.is_visible()  # at once, before sending
    assert "+39 02 1234 5678" in call_panel.inner_text()
    assert_accessible(page, "the Italian questionnaire at 390 px")
    questionnaire = artifacts_dir / "questionnaire-it-390.png"
    page.screenshot(path=str(questionnaire), full_page=True)
    publish_docs_image(questionnaire, "questionnaire-it-390.png")

    page.get_by_role("button", name="Invia le mie risposte").click()

    page.wait_for_url(f"{live_server.url}/q/thanks/")
    assert "Grazie. Le Sue risposte sono state inviate." in page.content()
    assert page.get_by_test_id("needs-call").is_visible()
    assert_accessible(page, "the Italian thank-you page at 390 px")
    thanks = artifacts_dir / "questionnaire-it-thanks-390.png"
    page.screenshot(path=str(thanks), full_page=True)
    publish_docs_image(thanks, "questionnaire-it-thanks-390.png")
    follow_up = procedure.follow_ups.get(interval="day_1")
    assert follow_up.needs_call
    assert follow_up.patient_report.language == "it"

    page.goto(f"{live_server.url}{path}")  # the link is dead now
    assert "Ha già risposto a questo questionario." in page.content()
    assert_accessible(page, "the used-link page")
    assert problems == []


def test_english_patient_answers_on_a_phone_and_staff_see_it_beside_the_clinics_record(
    page, live_server, people, login, artifacts_dir
):
    procedure, path = treated_patient(given_name="Arthur", language="en", **people)
    problems = watch(page)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}{path}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Hello Arthur,"
    page.get_by_role("button", name="Send my answers").click()  # nothing answered yet
    assert page.get_by_test_id("form-errors").is_visible()
    assert page.locator("#pain_now-error").is_visible()
    problems.remove(next(p for p in problems if "status of 400" in p))  # that refusal is right
    assert_accessible(page, "the English questionnaire with its errors at 390 px")
    answer(page, {**COMMON, "fever": "no"})
    assert_accessible(page, "the English questionnaire at 390 px")
    questionnaire = artifacts_dir / "questionnaire-en-390.png"
    page.screenshot(path=str(questionnaire), full_page=True)
    publish_docs_image(questionnaire, "questionnaire-en-390.png")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(f"{live_server.url}/q/thanks/")
    assert "Thank you. Your answers have been sent." in page.content()
    assert not page.get_by_test_id("needs-call").is_visible()
    assert problems == []

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, people["staff"].username)
    page.goto(f"{live_server.url}/outcomes/referrals/{procedure.referral_id}/")
    row = page.locator('tr[data-patient-report="day_1"]')
    assert "Patient-reported" in row.inner_text()
    assert page.locator("g.point.patient-reported").count() == 1
    outcome = artifacts_dir / "outcome-patient-reported-1366.png"
    page.screenshot(path=str(outcome), full_page=True)
    publish_docs_image(outcome, "outcome-patient-reported.png")
