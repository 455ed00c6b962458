"""A clinical governance lead proposes a threshold change, reads its replay report, and a second
lead approves it."""

import copy

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from eligibility.engine import DEFAULT_THRESHOLDS
from eligibility.models import RulesetVersion
from tests.e2e.conftest import publish_docs_image
from tests.factories import ELIGIBLE_CASE, make_patient, make_referral

# Sequences restart so that the pictures in docs/governance.md show referrals #1 and #2.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, reset_sequences=True)]

WIDE, NARROW = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


def _case(pain_nrs: int) -> dict:
    case = copy.deepcopy(ELIGIBLE_CASE)
    case["levels"][0]["pain_nrs"] = pain_nrs
    return case


@pytest.fixture
def watched(page):
    """The page, with every console error and failed or refused request it meets collected.

    The browser's own /favicon.ico request is left out: the app has no icon yet (all pages).
    """
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    # A request cut short because the page moved on (a poll in flight) is not a failure.
    page.on(
        "requestfailed",
        lambda request: (
            None
            if "ERR_ABORTED" in (request.failure or "")
            else problems.append(f"failed: {request.url}")
        ),
    )
    page.problems = problems
    return page


def test_a_lead_proposes_a_change_reads_its_replay_and_a_second_lead_approves(
    watched, live_server, login, make_user, reason_codes, artifacts_dir
):
    page = watched
    physician = make_user(Role.PHYSICIAN, first_name="Paula", last_name="Moreau")
    proposer = make_user(
        Role.GOVERNANCE, username="gov-rossi", first_name="Anna", last_name="Rossi"
    )
    approver = make_user(
        Role.GOVERNANCE, username="gov-weber", first_name="Jonas", last_name="Weber"
    )
    # Invented patients: two at NRS 6 (not eligible at 7, eligible at 6), two unaffected.
    for number, pain in enumerate((6, 6, 9, 3)):
        patient = make_patient(by=physician, family_name=f"Example{number}", mrn=f"GOV{number}")
        make_referral(physician=physician, patient=patient, case=_case(pain), submit=True)

    page.set_viewport_size(WIDE)
    login(page, proposer.username)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Rules").click()
    expect(page.get_by_role("heading", name="Rules in force")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "governance-rules.png"), full_page=True)
    page.set_viewport_size(NARROW)
    page.screenshot(path=str(artifacts_dir / "governance-rules-390.png"), full_page=True)
    page.set_viewport_size(WIDE)
    page.get_by_role("link", name="Propose a threshold change").click()

    page.get_by_label("New value of SEVERE_PAIN_NRS (NRS 0–10)").fill("6")
    page.get_by_label("Rationale for SEVERE_PAIN_NRS").fill(
        "Our clinic's audit: patients with NRS 6 and an acute fracture benefit as those at 7."
    )
    page.get_by_label("Source citation for SEVERE_PAIN_NRS").fill(
        "Clinic audit 2026; VAPOUR trial inclusion NRS ≥ 7"
    )
    page.get_by_label("Why propose this version").fill("Lower the severe-pain band to NRS 6.")
    page.screenshot(path=str(artifacts_dir / "governance-draft-form.png"), full_page=True)
    page.set_viewport_size(NARROW)
    page.screenshot(path=str(artifacts_dir / "governance-draft-form-390.png"), full_page=True)
    page.set_viewport_size(WIDE)
    page.get_by_role("button", name="Save the draft").click()

    expect(page.get_by_test_id("version-status")).to_have_text("Draft")
    expect(page.get_by_test_id("thresholds")).to_contain_text("Our clinic's audit")
    page.screenshot(path=str(artifacts_dir / "governance-draft.png"), full_page=True)
    publish_docs_image(artifacts_dir / "governance-draft.png", "governance-draft.png")

    page.get_by_role("button", name="Replay", exact=True).click()
    summary = page.get_by_test_id("replay-summary")
    expect(summary).to_contain_text("2 of 4 referrals")
    expect(page.get_by_test_id("transitions")).to_contain_text("Not eligible")
    expect(page.get_by_test_id("rule-changes")).to_contain_text("IND-OSTEOPOROSIS")
    changed = page.get_by_test_id("changed-referrals").get_by_role("row")
    expect(changed).to_have_count(3)  # header + 2
    expect(page.get_by_test_id("replay-csv")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "governance-replay.png"), full_page=True)
    publish_docs_image(artifacts_dir / "governance-replay.png", "governance-replay.png")
    page.set_viewport_size(NARROW)
    page.screenshot(path=str(artifacts_dir / "governance-replay-390.png"), full_page=True)
    page.set_viewport_size(WIDE)
    # The proposer is not offered the approval.
    expect(page.get_by_test_id("approve-form")).to_have_count(0)
    version_url = page.url

    page.context.clear_cookies()
    login(page, approver.username)
    page.goto(version_url)
    page.get_by_label("Why you approve").fill("Replay checked: two open referrals become eligible.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text(
        "Your approval is recorded."
    )
    expect(page.get_by_test_id("approvals")).to_contain_text("Jonas Weber")
    expect(page.get_by_test_id("version-status")).to_have_text("Draft")  # one of two
    page.screenshot(path=str(artifacts_dir / "governance-approval.png"), full_page=True)
    publish_docs_image(artifacts_dir / "governance-approval.png", "governance-approval.png")

    version = RulesetVersion.objects.get(status="draft")
    assert [a.approved_by for a in version.approvals.all()] == [approver]
    assert page.problems == []


def test_after_an_activation_a_radiologist_is_told_and_re_evaluates_under_the_active_rules(
    watched, live_server, login, make_user, reason_codes, artifacts_dir
):
    from eligibility.models import Evaluation
    from governance.services import (
        ruleset_activate,
        ruleset_approve,
        ruleset_draft_create,
        ruleset_replay_request,
    )

    page = watched
    physician = make_user(Role.PHYSICIAN, first_name="Paula", last_name="Moreau")
    radiologist = make_user(Role.RADIOLOGIST, username="ir-deramond", first_name="Rita")
    leads = [make_user(Role.GOVERNANCE, username=f"gov-{n}") for n in range(3)]
    patient = make_patient(by=physician, given_name="Jeanne", family_name="Lefèvre", mrn="GOV9")
    referral = make_referral(physician=physician, patient=patient, case=_case(6), submit=True)
    draft = ruleset_draft_create(
        values={**DEFAULT_THRESHOLDS.as_named(), "SEVERE_PAIN_NRS": 6},
        reasons={"SEVERE_PAIN_NRS": ("Clinic audit.", "Audit 2026")},
        summary="NRS 6.",
        by=leads[0],
    )
    ruleset_replay_request(version=draft, by=leads[0])
    ruleset_approve(version=draft, by=leads[1], comment="Agreed.")
    ruleset_approve(version=draft, by=leads[2], comment="Agreed.")
    ruleset_activate(version=draft, by=leads[1], reason="Board decision.")

    page.set_viewport_size(WIDE)
    login(page, radiologist.username)
    page.goto(f"{live_server.url}/notifications/")
    told = (
        page.get_by_test_id("notifications")
        .get_by_role("listitem")
        .filter(
            has_text=f"Under the newly active rules the recommendation of referral #{referral.pk}"
        )
    )
    told.get_by_role("button", name=f"Open referral #{referral.pk}").click()
    notice = page.get_by_test_id("ruleset-impact")
    expect(notice).to_contain_text("from Not eligible to Eligible")
    shot = artifacts_dir / "governance-review-notice.png"
    page.screenshot(path=str(shot))
    publish_docs_image(shot, "governance-review-notice.png")
    page.set_viewport_size(NARROW)
    page.screenshot(path=str(artifacts_dir / "governance-review-notice-390.png"))
    page.set_viewport_size(WIDE)
    notice.get_by_role("button", name="Re-evaluate under the active rules").click()
    expect(page.get_by_role("status").first).to_contain_text("Re-evaluated under the active rules.")
    expect(page.get_by_test_id("ruleset-impact")).to_have_count(0)
    latest = Evaluation.objects.filter(referral=referral).first()
    assert (latest.recommendation, latest.ruleset_version) == ("eligible", draft.ruleset_version)
    assert page.problems == []
