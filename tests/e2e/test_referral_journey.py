"""A physician registers a patient and refers them, watching the live panel, in Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from eligibility.models import Evaluation
from patients.models import Referral
from tests.e2e.conftest import publish_docs_image

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _answer(page, question: str, answer: str) -> None:
    """Tick an answer of a yes / no / unknown question (a fieldset named by its legend)."""
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def _recommendation(page):
    return page.get_by_test_id("findings-panel").get_by_test_id("findings")


def test_physician_refers_a_patient_and_watches_the_recommendation_update(
    page, live_server, login, make_user, artifacts_dir
):
    user = make_user(Role.PHYSICIAN, username="e2e-physician", first_name="Paula")
    page.set_viewport_size({"width": 1440, "height": 1000})
    login(page, user.username)

    page.get_by_test_id("physician-links").get_by_role("link", name="New patient").click()
    page.get_by_label("MRN").fill("E2E-0001")
    page.get_by_label("Given name").fill("Ingrid")
    page.get_by_label("Family name").fill("Solberg")
    page.get_by_label("Date of birth").fill("1944-07-01")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Register and start a referral").click()
    expect(page.get_by_role("heading", name="New referral")).to_be_visible()
    expect(page.get_by_test_id("findings-panel")).to_contain_text("Add a target level")

    page.get_by_test_id("add-level").click()
    level = page.locator('select[name="levels-0-level"]')
    expect(level).to_be_focused()
    level.select_option("L2")
    expect(_recommendation(page)).to_have_attribute("data-recommendation", "incomplete")
    # The missing answers are named by their question labels (patients/vocabulary.py).
    expect(page.get_by_test_id("findings-missing")).to_contain_text(
        "Coagulopathy or anticoagulant / antiplatelet drug"
    )
    page.screenshot(path=str(artifacts_dir / "intake-incomplete.png"), full_page=True)

    _answer(page, "Is the pain controlled by, or improving on, conservative medical therapy?", "No")
    _answer(
        page,
        "Does the patient have a bleeding disorder or take anticoagulant or antiplatelet drugs?",
        "No",
    )
    page.get_by_label("INR").fill("1.1")
    page.get_by_label("Platelet count (×10⁹/L)").fill("210")
    _answer(page, "Does the patient have a systemic infection?", "No")
    _answer(page, "Is there an infection at the access site?", "No")
    page.get_by_label("None known").check()
    _answer(page, "Does the patient have radicular pain or radiculopathy?", "No")

    page.get_by_label("Etiology").select_option("osteoporosis")
    # Tumour-only questions stay hidden for an osteoporotic level.
    expect(
        page.get_by_role("group", name="Does the tumour extend into the epidural space?")
    ).to_be_hidden()
    page.get_by_label("Pain attributed to this level (NRS 0–10)").fill("8")
    _answer(page, "Is the vertebral body fractured or collapsed at this level?", "Yes")
    fracture_date = timezone.localdate() - timedelta(days=30)
    page.get_by_label("Date of the fracture").fill(fracture_date.isoformat())
    _answer(page, "Does imaging show an acute, unhealed fracture?", "Yes")
    _answer(page, "Does the target vertebra have osteomyelitis?", "No")
    page.get_by_label("Spinal canal compromise by a retropulsed fragment (%)").fill("5")

    expect(_recommendation(page)).to_have_attribute("data-recommendation", "eligible")
    expect(page.get_by_test_id("findings-missing")).to_have_count(0)
    expect(page.locator('[data-rule="IND-OSTEOPOROSIS"]')).to_have_attribute("data-status", "met")
    page.get_by_role("heading", name="New referral").scroll_into_view_if_needed()
    screenshot = artifacts_dir / "intake.png"
    page.screenshot(path=str(screenshot))
    publish_docs_image(screenshot, "intake.png")
    # Typing autosaves a draft at most; nothing is evaluated or submitted until Submit.
    assert not Evaluation.objects.exists()
    assert not Referral.objects.exclude(status=Referral.Status.DRAFT).exists()

    page.get_by_role("button", name="Submit referral").click()
    expect(page.get_by_test_id("referral-status")).to_have_text("Submitted")
    expect(page.get_by_role("alert").or_(page.get_by_role("status"))).to_contain_text(
        "Referral submitted"
    )
    page.screenshot(path=str(artifacts_dir / "referral-submitted.png"), full_page=True)
    referral = Referral.objects.get()
    assert referral.status == Referral.Status.SUBMITTED
    assert Evaluation.objects.get(referral=referral).recommendation == "eligible"
