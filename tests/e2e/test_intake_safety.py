"""A physician never loses an answer and no answer is read as something else: the intake in
Chromium with British and Italian browser locales, checked against the stored referral."""

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.roles import Role
from eligibility.models import Evaluation
from patients import intake
from patients.models import Referral, TargetLevel
from patients.questions import level_questions, referral_questions
from patients.vocabulary import answer_text
from tests.e2e.conftest import publish_docs_image
from tests.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "examples"
TRI = {True: "yes", False: "no", None: "unknown"}
PASSWORD = "a-long-test-password"


@pytest.fixture
def physician_page(browser, live_server, make_user, request):
    """A signed-in physician's page in a browser of the given locale (default en-GB); fails
    the test on any console error, failed request or CSP violation."""
    locale = getattr(request, "param", "en-GB")
    user = make_user(Role.PHYSICIAN, username="e2e-intake")
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and not msg.location.get("url", "").endswith("/favicon.ico")
            and problems.append(f"{msg.text} {msg.location}")
        ),
    )
    # A poll cut short by leaving the page is not a failure.
    page.on(
        "requestfailed",
        lambda req: "ERR_ABORTED" not in (req.failure or "") and problems.append(req.url),
    )
    page.on(
        "response",
        lambda resp: (
            resp.status >= 400
            and not resp.url.endswith("/favicon.ico")
            and problems.append(f"{resp.status} {resp.url}")
        ),
    )
    sign_in(page, live_server, user.username)
    page.user = user
    page.locale = locale
    yield page
    context.close()
    assert problems == []


def sign_in(page, live_server, username: str) -> None:
    """Through the real login form, whatever language the browser asks for."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


def in_page_language(page, text_of):
    """text_of() evaluated in the language the page is shown in (its browser's locale)."""
    with translation.override(getattr(page, "locale", "en-GB").split("-")[0]):
        return text_of()


def tr(page, message: str) -> str:
    """A message of the app as the page shows it (Italian for an Italian browser)."""
    return in_page_language(page, lambda: gettext(message))


def question(page, name: str) -> str:
    """The label of an intake question as the page shows it (patients/questions.py)."""
    questions = {**level_questions(), **referral_questions()}
    return in_page_language(page, lambda: str(questions[name].label))


def open_new_referral(page, live_server, **patient_fields):
    patient = make_patient(by=page.user, **patient_fields)
    page.goto(live_server.url + reverse("patients:referral-create", args=[patient.pk]))
    expect(page.get_by_role("heading", name=tr(page, "New referral"))).to_be_visible()
    return patient


def add_level(page, label: str, index: int) -> None:
    page.get_by_test_id("add-level").click()
    page.locator(f'select[name="levels-{index}-level"]').select_option(label)


def feedback(page, name: str):
    return page.locator(f"#feedback_id_{name}")


def wait_saved(page) -> None:
    """Until every change so far is saved (the status says "Saved HH:MM")."""
    status = page.get_by_test_id("autosave-status")
    expect(status).to_have_attribute("data-state", "saved")
    saved = tr(page, "Saved {time}").split("{time}")[0]
    expect(status).to_have_text(re.compile("^" + re.escape(saved)))


def stored_referral() -> Referral:
    return Referral.objects.get()


@pytest.mark.parametrize("physician_page", ["en-GB", "it-IT"], indirect=True)
def test_decimal_commas_counts_per_microlitre_and_dates_are_stored_as_typed_or_refused(
    physician_page, live_server, artifacts_dir
):
    page = physician_page
    open_new_referral(page, live_server)
    add_level(page, "L2", 0)

    page.get_by_label(question(page, "inr")).press_sequentially("1,4")
    expect(feedback(page, "inr")).to_have_text(
        in_page_language(
            page,
            lambda: gettext("Read as INR {inr}").format(inr=answer_text("inr", Decimal("1.4"))),
        )
    )
    platelets = page.get_by_label(question(page, "platelets"))
    platelets.press_sequentially("45000")
    expect(feedback(page, "platelets")).to_contain_text(
        in_page_language(page, lambda: str(intake.PLATELETS_PER_MICROLITRE))
    )
    expect(platelets).to_have_class(re.compile("is-invalid"))
    wait_saved(page)
    referral = stored_referral()
    assert referral.inr == Decimal("1.40")
    assert referral.platelets is None  # refused, never stored as another number

    platelets.fill("")
    platelets.press_sequentially("45,5")
    expect(feedback(page, "platelets")).to_have_text(
        in_page_language(
            page,
            lambda: gettext("Read as {platelets} ×10⁹/L").format(
                platelets=answer_text("platelets", Decimal("45.5"))
            ),
        )
    )
    expect(platelets).not_to_have_class(re.compile("is-invalid"))
    page.get_by_label(question(page, "fracture_date")).press_sequentially("02/10/2026")
    days = (timezone.localdate() - dt.date(2026, 10, 2)).days
    if page.locale == "en-GB":  # the English wording, spelled out once
        expect(feedback(page, "levels-0-fracture_date")).to_have_text(
            f"Read as 2 Oct 2026 — {days} days before assessment"
        )
    expect(feedback(page, "levels-0-fracture_date")).to_have_text(
        in_page_language(
            page,
            lambda: gettext("Read as {text}").format(
                text=intake.fracture_age_text(dt.date(2026, 10, 2), timezone.localdate())
            ),
        )
    )
    wait_saved(page)
    page.screenshot(path=str(artifacts_dir / f"intake-numbers-{page.locale}.png"), full_page=True)
    referral.refresh_from_db()
    assert referral.platelets == Decimal("45.5")
    assert referral.assessed_on == timezone.localdate()
    assert TargetLevel.objects.get(referral=referral).fracture_date == dt.date(2026, 10, 2)


def test_an_unusual_inr_is_accepted_with_a_warning_and_contradictions_are_pointed_out(
    physician_page, live_server
):
    page = physician_page
    open_new_referral(page, live_server)
    page.locator('input[name="coagulopathy"][value="no"]').check()
    page.get_by_label("INR").press_sequentially("12")
    expect(feedback(page, "inr")).to_contain_text(str(intake.INR_UNUSUAL))
    expect(feedback(page, "coagulopathy")).to_contain_text("the INR is 12")
    page.get_by_label("INR").fill("25")
    expect(feedback(page, "inr")).to_contain_text(str(intake.INR_RANGE))
    page.get_by_label("INR").fill("12")
    wait_saved(page)
    assert stored_referral().inr == Decimal(12)


def test_the_panel_refreshes_when_a_level_is_added_or_removed(physician_page, live_server):
    page = physician_page
    open_new_referral(page, live_server)
    panel = page.get_by_test_id("findings-panel")
    expect(panel).to_contain_text("Add a target level")
    add_level(page, "L2", 0)
    expect(panel.locator('[data-rule="CI-OSTEOMYELITIS"]')).to_have_count(1)
    add_level(page, "L3", 1)
    expect(panel.locator('[data-rule="CI-OSTEOMYELITIS"]')).to_have_count(2)
    page.get_by_label("Remove this level").nth(1).check()
    expect(panel.locator('[data-rule="CI-OSTEOMYELITIS"]')).to_have_count(1)


def test_autosave_keeps_every_answer_across_a_reload(physician_page, live_server):
    page = physician_page
    open_new_referral(page, live_server)
    add_level(page, "L1", 0)
    page.locator('input[name="systemic_infection"][value="no"]').check()
    page.get_by_label("Pain attributed to this level (NRS 0–10)").fill("8")
    wait_saved(page)
    # The first autosave made the page the referral's own.
    referral = stored_referral()
    assert page.url.endswith(reverse("patients:referral-edit", args=[referral.pk]))
    page.reload()
    expect(page.locator('select[name="levels-0-level"]')).to_have_value("L1")
    expect(page.locator('input[name="systemic_infection"][value="no"]')).to_be_checked()
    expect(page.get_by_label("Pain attributed to this level (NRS 0–10)")).to_have_value("8")
    assert referral.status == Referral.Status.DRAFT
    assert not Evaluation.objects.exists()  # a draft is never evaluated


def test_back_after_leaving_shows_the_saved_level_and_a_panel_that_agrees(
    physician_page, live_server
):
    page = physician_page
    open_new_referral(page, live_server)
    add_level(page, "L4", 0)
    page.locator('input[name="levels-0-fracture"][value="yes"]').check()
    wait_saved(page)
    page.goto(live_server.url + reverse("patients:referral-list"))
    page.go_back()
    expect(page.locator('select[name="levels-0-level"]')).to_have_value("L4")
    expect(page.locator('input[name="levels-0-fracture"][value="yes"]')).to_be_checked()
    panel = page.get_by_test_id("findings-panel")
    expect(panel.locator('[data-rule="CI-OSTEOMYELITIS"]')).to_have_count(1)


def test_leaving_a_changed_form_asks_first(physician_page, live_server):
    page = physician_page
    open_new_referral(page, live_server)
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_label("INR").fill("1.1")
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]


def test_a_session_ending_mid_form_keeps_every_answer_through_signing_in_again(
    physician_page, live_server, settings, artifacts_dir
):
    page = physician_page
    open_new_referral(page, live_server)
    add_level(page, "T12", 0)
    page.get_by_label("INR").fill("1,2")
    wait_saved(page)

    settings.SESSION_IDLE_TIMEOUT = 1  # the server ends the session; the page does not know
    page.wait_for_timeout(2500)
    page.locator('input[name="radicular_pain"][value="no"]').check()
    page.get_by_label("Platelet count (×10⁹/L)").fill("180")
    banner = page.get_by_test_id("session-ended")
    expect(banner).to_be_visible()
    expect(page.get_by_test_id("findings-panel")).not_to_contain_text("Log in")
    page.screenshot(path=str(artifacts_dir / "intake-session-ended.png"))
    referral = stored_referral()
    assert referral.platelets is None  # typed after the session ended: not stored unsigned

    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    banner.get_by_role("link", name="sign in again").click()
    page.get_by_label("Username").fill(page.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status").first).to_contain_text("Welcome back")
    expect(page.get_by_label("Platelet count (×10⁹/L)")).to_have_value("180")
    expect(page.locator('input[name="radicular_pain"][value="no"]')).to_be_checked()
    expect(page.locator('select[name="levels-0-level"]')).to_have_value("T12")
    referral.refresh_from_db()
    assert (referral.inr, referral.platelets, referral.radicular_pain) == (
        Decimal("1.2"),
        Decimal(180),
        False,
    )


def test_the_idle_warning_offers_to_stay_signed_in(
    physician_page, live_server, settings, artifacts_dir
):
    settings.SESSION_IDLE_TIMEOUT = 124  # the warning shows 120 s before: after 4 s
    page = physician_page
    open_new_referral(page, live_server)
    warning = page.get_by_test_id("idle-warning")
    expect(warning).to_be_visible(timeout=8000)
    page.screenshot(path=str(artifacts_dir / "intake-idle-warning.png"))
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    expect(page.get_by_test_id("session-ended")).to_be_hidden()


def _type_case(page, case: dict) -> None:
    """Answer the intake like the case, as a physician types (dates in the clinic's format)."""
    page.get_by_label("Assessment date").fill(
        dt.date.fromisoformat(case["assessed_on"]).strftime("%d/%m/%Y")
    )
    for name in ("pain_controlled_by_medical_therapy", "coagulopathy"):
        page.locator(f'input[name="{name}"][value="{TRI[case.get(name)]}"]').check()
    if case.get("coagulopathy") is True:  # asked only then
        value = TRI[case.get("coagulopathy_corrected")]
        page.locator(f'input[name="coagulopathy_corrected"][value="{value}"]').check()
    for name in ("inr", "platelets"):
        if case.get(name) is not None:
            page.locator(f'input[name="{name}"]').fill(str(case[name]).replace(".", ","))
    for name in ("systemic_infection", "local_infection", "radicular_pain"):
        page.locator(f'input[name="{name}"][value="{TRI[case.get(name)]}"]').check()
    allergies = case.get("allergies")
    status = "unknown" if allergies is None else "some" if allergies else "none"
    page.locator(f'input[name="allergy_status"][value="{status}"]').check()
    for allergy in allergies or []:
        page.locator(f'input[name="allergies"][value="{allergy}"]').check()
    if case.get("radicular_pain") is True:  # asked only then
        page.locator('select[name="radicular_cause"]').select_option(
            case.get("radicular_cause") or ""
        )
    for index, level in enumerate(case["levels"]):
        add_level(page, level["level"], index)
        prefix = f"levels-{index}-"
        page.locator(f'select[name="{prefix}etiology"]').select_option(level.get("etiology") or "")
        for name in ("pain_nrs", "canal_compromise_pct"):
            if level.get(name) is not None:
                page.locator(f'input[name="{prefix}{name}"]').fill(str(level[name]))
        if level.get("fracture_date"):
            typed = dt.date.fromisoformat(level["fracture_date"]).strftime("%d/%m/%Y")
            page.locator(f'input[name="{prefix}fracture_date"]').fill(typed)
        for name in (
            "fracture",
            "imaging_acute",
            "high_fracture_risk",
            "osteomyelitis",
            "epidural_extension",
        ):
            radio = page.locator(f'input[name="{prefix}{name}"][value="{TRI[level.get(name)]}"]')
            if radio.is_visible():
                radio.check()


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_every_shared_example_typed_in_the_browser_gives_its_expected_result(
    physician_page, live_server, example
):
    data = json.loads(example.read_text())
    case, expected = data["case"], data["expected"]
    page = physician_page
    open_new_referral(
        page,
        live_server,
        date_of_birth=dt.date.fromisoformat(case["patient"]["date_of_birth"]),
        sex=case["patient"]["sex"],
    )
    _type_case(page, case)
    findings = page.get_by_test_id("findings-panel").get_by_test_id("findings")
    expect(findings).to_have_attribute("data-recommendation", expected["recommendation"])
    page.get_by_role("button", name="Submit referral").click()
    expect(page.get_by_test_id("referral-status")).to_have_text("Submitted")
    evaluation = Evaluation.objects.get()
    assert evaluation.recommendation == expected["recommendation"]
    assert evaluation.flagged == expected["flagged"]
    assert evaluation.case["assessed_on"] == case["assessed_on"]
    for name in ("inr", "platelets"):
        assert evaluation.case[name] == case[name]
    levels = {level["level"]: level["recommendation"] for level in evaluation.result["levels"]}
    assert levels == {level["level"]: level["recommendation"] for level in expected["levels"]}


def test_intake_screenshots_for_the_docs(physician_page, live_server, artifacts_dir):
    page = physician_page
    open_new_referral(page, live_server)
    page.locator('input[name="coagulopathy"][value="no"]').check()
    page.get_by_label("INR").press_sequentially("1,4")
    page.get_by_label("Platelet count (×10⁹/L)").press_sequentially("45000")
    add_level(page, "L2", 0)
    page.get_by_label("Date of the fracture").press_sequentially("02/10/2026")
    wait_saved(page)
    page.get_by_role("heading", name="Coagulation").scroll_into_view_if_needed()
    screenshot = artifacts_dir / "intake-numbers-dates.png"
    page.screenshot(path=str(screenshot))
    publish_docs_image(screenshot, "intake-numbers-dates.png")
    page.get_by_label("Date of the fracture").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "intake-level-date.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("INR").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "intake-numbers-dates-390.png"))
    page.get_by_label("Date of the fracture").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "intake-level-date-390.png"))


def test_on_other_pages_an_ended_session_leads_to_the_login_page_not_into_a_panel(
    physician_page, live_server, settings
):
    page = physician_page
    page.goto(live_server.url + reverse("patients:referral-list"))
    settings.SESSION_IDLE_TIMEOUT = 1
    page.wait_for_timeout(2500)
    page.get_by_label("Patient name or MRN").fill("Example")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Freferrals%2F$"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
