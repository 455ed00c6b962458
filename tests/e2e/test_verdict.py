"""Verdict first, in Chromium: the deciding finding leads on the review page, the intake's
phone verdict bar stays on screen while answering, the live region says the verdict line alone,
and a failed Submit lands on the error summary."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from tests.e2e.conftest import assert_accessible, publish_docs_image
from tests.factories import ELIGIBLE_CASE, case_with, make_patient, make_referral

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
RETROPULSION = {**ELIGIBLE_CASE["levels"][0], "canal_compromise_pct": 35}


def _answer(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


@pytest.mark.parametrize(
    ("case", "rule", "kind", "tone", "badge"),
    [
        (
            case_with(levels=[RETROPULSION]),
            "RCI-RETROPULSION",
            "relative",
            "warning",
            "finding-badge-warning",
        ),
        (
            case_with(systemic_infection=True),
            "CI-INFECTION",
            "absolute",
            "danger",
            "finding-badge-danger",
        ),
    ],
    ids=["review", "not-eligible"],
)
def test_the_review_page_shows_the_deciding_rule_first(
    page, live_server, login, make_user, artifacts_dir, case, rule, kind, tone, badge
):
    physician = make_user(Role.PHYSICIAN, username="dr-verdict")
    make_user(Role.RADIOLOGIST, username="ir-verdict")
    patient = make_patient(by=physician, given_name="Jeanne", family_name="Moreau")
    referral = make_referral(physician=physician, patient=patient, case=case, submit=True)
    page.set_viewport_size(DESKTOP)
    login(page, "ir-verdict")
    page.goto(live_server.url + reverse("reviews:review", args=[referral.pk]))

    why = page.get_by_test_id("why").locator("li")
    first = why.first
    expect(first).to_have_attribute("data-rule", rule)
    expect(first).to_have_attribute("data-kind", kind)
    expect(first).to_have_attribute("data-tone", tone)
    expect(first).to_have_class(f"finding finding-tone-{tone} small ps-2 py-1 mb-1")
    expect(first.locator(f".badge.{badge}")).to_contain_text("met")
    expect(first.get_by_role("link").first).to_have_attribute("href", f"/rules/#rule-{rule}")
    # The findings card comes before the answers, the verdict before the findings.
    verdict_top = page.get_by_test_id("verdict").bounding_box()["y"]
    answers_top = page.get_by_role("heading", name="Patient and referral").bounding_box()["y"]
    assert verdict_top < answers_top
    # The rest of the rules are folded, and say so.
    others = page.get_by_test_id("other-findings")
    expect(others).not_to_have_attribute("open", "")
    expect(others.locator("summary")).to_contain_text("other rules checked")
    expect(others.locator("li").first).to_be_hidden()
    assert_accessible(page, "review page, desktop")
    if tone == "warning":
        shot = artifacts_dir / "review-verdict.png"
        page.screenshot(path=str(shot))
        publish_docs_image(shot, "review-verdict.png")
        page.set_viewport_size(PHONE)
        shot = artifacts_dir / "review-verdict-phone.png"
        page.screenshot(path=str(shot))
        publish_docs_image(shot, "review-verdict-phone.png")
        assert_accessible(page, "review page, phone")


def test_the_phone_verdict_bar_stays_on_screen_while_answering_and_opens_to_the_reasons(
    page, live_server, login, make_user, artifacts_dir
):
    physician = make_user(Role.PHYSICIAN, username="dr-phone")
    patient = make_patient(by=physician, given_name="Ingrid", family_name="Solberg")
    referral = make_referral(
        physician=physician, patient=patient, case=case_with(levels=[RETROPULSION])
    )
    page.set_viewport_size(PHONE)
    login(page, "dr-phone")
    page.goto(live_server.url + reverse("patients:referral-edit", args=[referral.pk]))

    bar = page.get_by_test_id("verdict-bar")
    expect(bar.get_by_test_id("verdict-bar-line")).to_have_text(
        "Engine recommends: a radiologist's review"
    )
    # Answering far down the form: the bar is still at the top of the screen.
    _answer(page, "Does the target vertebra have osteomyelitis?", "Yes")
    expect(bar.get_by_test_id("verdict-bar-line")).to_have_text("Engine recommends: not eligible")
    box = bar.bounding_box()
    assert box is not None and 0 <= box["y"] <= 5, box
    assert page.evaluate("() => window.scrollY") > 1000
    # Tapped, it opens to the deciding finding, and stays open across the next answer.
    bar.locator("summary").click()
    first = bar.get_by_test_id("bar-why").locator("li").first
    expect(first).to_have_attribute("data-bar-rule", "CI-OSTEOMYELITIS")
    expect(first).to_have_attribute("data-tone", "danger")
    _answer(page, "Does the target vertebra have osteomyelitis?", "No")
    expect(bar.get_by_test_id("verdict-bar-line")).to_have_text(
        "Engine recommends: a radiologist's review"
    )
    expect(bar.get_by_test_id("bar-why").locator("li").first).to_be_visible()
    expect(bar.get_by_test_id("bar-why").locator("li").first).to_have_attribute(
        "data-bar-rule", "RCI-RETROPULSION"
    )
    shot = artifacts_dir / "intake-verdict-bar-phone.png"
    page.screenshot(path=str(shot))
    publish_docs_image(shot, "intake-verdict-bar-phone.png")
    assert_accessible(page, "intake with the verdict bar open, phone")

    # On a desktop the bar gives way to the side panel.
    page.set_viewport_size(DESKTOP)
    expect(bar).to_be_hidden()
    page.get_by_role("heading", name=f"Referral #{referral.pk}").scroll_into_view_if_needed()
    shot = artifacts_dir / "intake-verdict.png"
    page.screenshot(path=str(shot))
    publish_docs_image(shot, "intake-verdict.png")


def test_the_live_region_says_the_verdict_line_alone(page, live_server, login, make_user):
    physician = make_user(Role.PHYSICIAN, username="dr-live")
    referral = make_referral(physician=physician, case=ELIGIBLE_CASE)
    page.set_viewport_size(DESKTOP)
    login(page, "dr-live")
    page.goto(live_server.url + reverse("patients:referral-edit", args=[referral.pk]))

    panel = page.get_by_test_id("findings-panel")
    expect(panel).not_to_have_attribute("aria-live", "polite")
    announcer = page.get_by_test_id("verdict-announcer")
    expect(announcer).to_have_attribute("role", "status")
    expect(announcer).to_have_text("")
    _answer(page, "Is there an infection at the access site?", "Yes")
    expect(announcer).to_have_text("Engine recommends: not eligible")
    # Only the one line: no reasons, no rule list.
    assert "Local or systemic infection" not in announcer.text_content()


def test_a_failed_submit_moves_the_focus_to_the_error_summary(page, live_server, login, make_user):
    physician = make_user(Role.PHYSICIAN, username="dr-focus")
    referral = make_referral(physician=physician, case=ELIGIBLE_CASE)
    page.set_viewport_size(DESKTOP)
    login(page, "dr-focus")
    page.goto(live_server.url + reverse("patients:referral-edit", args=[referral.pk]))

    page.get_by_label("INR").fill("-3")
    page.get_by_role("button", name="Submit referral").click()
    summary = page.get_by_test_id("form-problems")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("INR")


def test_a_follow_up_question_shows_after_its_lead_answer_and_is_cleared_when_hidden(
    page, live_server, login, make_user
):
    from patients.models import Referral

    physician = make_user(Role.PHYSICIAN, username="dr-branch")
    referral = make_referral(physician=physician, case=ELIGIBLE_CASE)
    page.set_viewport_size(DESKTOP)
    login(page, "dr-branch")
    page.goto(live_server.url + reverse("patients:referral-edit", args=[referral.pk]))

    lead = "Does the patient have a bleeding disorder or take anticoagulant or antiplatelet drugs?"
    follow_up = page.get_by_role(
        "group", name="If so, is it corrected (or the drug paused) for the procedure?"
    )
    findings = page.get_by_test_id("findings-panel").get_by_test_id("findings")
    expect(follow_up).to_be_hidden()
    _answer(page, lead, "Yes")
    expect(follow_up).to_be_visible()
    follow_up.get_by_label("No", exact=True).check()
    expect(findings).to_have_attribute("data-recommendation", "not_eligible")
    expect(page.get_by_test_id("why").locator("li").first).to_have_attribute(
        "data-rule", "CI-COAGULOPATHY"
    )

    _answer(page, lead, "No")
    expect(follow_up).to_be_hidden()
    expect(page.locator('input[name="coagulopathy_corrected"][value="unknown"]')).to_be_checked()
    expect(findings).to_have_attribute("data-recommendation", "eligible")
    # A level answered as not fractured is not asked its date, acuteness or canal compromise.
    _answer(page, "Is the vertebral body fractured or collapsed at this level?", "No")
    expect(
        page.get_by_role("group", name="Does imaging show an acute, unhealed fracture?")
    ).to_be_hidden()
    expect(page.get_by_label("Date of the fracture")).to_be_hidden()
    expect(findings).to_have_attribute("data-recommendation", "not_eligible")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name=f"Referral #{referral.pk}")).to_be_visible()
    referral = Referral.objects.get(pk=referral.pk)
    level = referral.levels.get()
    assert (referral.coagulopathy, referral.coagulopathy_corrected) == (False, None)
    assert (level.fracture, level.imaging_acute, level.fracture_date) == (False, None, None)
    assert level.canal_compromise_pct is None
