"""The worklist keeps its filters and sort across Back and reload; a second radiologist refuses
to countersign an override, and the deciding radiologist reads why."""

import copy
import importlib
import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from eligibility.engine import RULES_BY_ID
from tests.e2e.conftest import assert_accessible, publish_docs_image
from tests.factories import ELIGIBLE_CASE, case_with, make_patient, make_referral

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RETROPULSION = {**ELIGIBLE_CASE["levels"][0], "level": "L1", "canal_compromise_pct": 35}
# (family name, given name, MRN, case); names are invented.
PATIENTS = [
    ("Moreau", "Jeanne", "40211", case_with(levels=[RETROPULSION])),
    ("Okafor", "Sam", "40502", ELIGIBLE_CASE),
    ("Haddad", "Omar", "40117", case_with(systemic_infection=True)),
    ("Lambert", "Hugo", "39870", ELIGIBLE_CASE),
]


@pytest.fixture(autouse=True)
def reason_codes(db):
    from django.apps import apps

    importlib.import_module("reviews.migrations.0002_seed_reason_codes").seed(apps, None)


@pytest.fixture(autouse=True)
def in_process_celery():
    from vpselect.celery import app

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


@pytest.fixture
def waiting(make_user):
    physician = make_user(Role.PHYSICIAN, username="dr-moreau", first_name="Paula")
    referrals = {}
    for family, given, mrn, case in PATIENTS:
        patient = make_patient(by=physician, family_name=family, given_name=given, mrn=mrn)
        referrals[family] = make_referral(
            physician=physician, patient=patient, case=copy.deepcopy(case), submit=True
        )
    return referrals


def test_worklist_filters_and_sort_survive_back_and_reload(
    page, live_server, login, make_user, waiting, artifacts_dir
):
    make_user(Role.RADIOLOGIST, username="ir-deramond", first_name="Rita", last_name="Deramond")
    login(page, "ir-deramond")
    page.goto(f"{live_server.url}/reviews/")
    rows = page.get_by_test_id("worklist-row")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Moreau, Jeanne")  # flagged first by default

    page.get_by_label("Recommendation").select_option(label="Eligible")
    expect(rows).to_have_count(2)
    page.get_by_test_id("sort-patient").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Patient")
    expect(rows.first).to_contain_text("Lambert, Hugo")
    page.get_by_test_id("sort-patient").click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Patient")
    expect(rows.first).to_contain_text("Okafor, Sam")
    assert "?" not in page.url

    rows.first.get_by_role("link", name="Okafor, Sam").click()
    expect(page.get_by_role("heading", name=re.compile("Okafor, Sam"))).to_be_visible()
    page.go_back()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Okafor, Sam")
    expect(page.get_by_label("Recommendation")).to_have_value("eligible")
    page.reload()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Okafor, Sam")
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Patient")
    assert_accessible(page, "filtered worklist")

    page.get_by_test_id("clear-filters").click()
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Moreau, Jeanne")
    expect(page.get_by_test_id("worklist-counts")).to_contain_text("4")
    for width, height, name in [(1366, 900, "worklist.png"), (390, 844, "worklist-phone.png")]:
        page.set_viewport_size({"width": width, "height": height})
        shot = artifacts_dir / name
        page.screenshot(path=str(shot), full_page=True)
        publish_docs_image(shot, name)
        assert_accessible(page, f"worklist at {width}px")


def test_a_second_radiologist_refuses_to_countersign_and_the_decider_reads_why(
    page, browser, live_server, login, make_user, waiting, artifacts_dir
):
    make_user(Role.RADIOLOGIST, username="ir-deramond", first_name="Rita", last_name="Deramond")
    make_user(Role.RADIOLOGIST, username="ir-lambert", first_name="Hugo", last_name="Lambert")
    infected = waiting["Haddad"]

    # The deciding radiologist is warned before signing that the accept needs a second one.
    login(page, "ir-deramond")
    page.goto(f"{live_server.url}/reviews/referrals/{infected.pk}/")
    page.get_by_role("button", name="Start review").click()
    notice = page.get_by_test_id("countersignature-notice")
    expect(page.get_by_label("Reason for declining")).to_be_hidden()
    page.get_by_label("Decline", exact=True).check()
    expect(page.get_by_label("Reason for declining")).to_be_visible()
    expect(page.get_by_label("Information needed")).to_be_hidden()
    page.get_by_label("Accept", exact=True).check()
    expect(notice).to_be_hidden()
    page.get_by_label(re.compile(r"L2 \(engine:")).check()
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(RULES_BY_ID["CI-INFECTION"].text)
    expect(notice).to_contain_text("second radiologist")
    page.get_by_label("Override reason").select_option(index=1)
    page.get_by_label("Comment").fill("Infection treated; cultures negative.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("pending-countersignature")).to_be_visible()
    expect(page.get_by_test_id("overridden-rules").first).to_contain_text(
        RULES_BY_ID["CI-INFECTION"].text
    )

    # The second radiologist opens the countersignature page and refuses with a reason.
    second = browser.new_page()
    login(second, "ir-lambert")
    second.goto(f"{live_server.url}/reviews/referrals/{infected.pk}/")
    second.get_by_test_id("open-countersign").click()
    rules = second.get_by_test_id("countersign-rules")
    expect(rules).to_contain_text(RULES_BY_ID["CI-INFECTION"].text)
    expect(rules).not_to_contain_text("CI-INFECTION")
    expect(second.get_by_test_id("countersign-reason")).to_be_visible()
    expect(second.get_by_text("Infection treated; cultures negative.")).to_be_visible()
    for width, height, name in [
        (1366, 900, "countersign.png"),
        (390, 844, "countersign-phone.png"),
    ]:
        second.set_viewport_size({"width": width, "height": height})
        shot = artifacts_dir / name
        second.screenshot(path=str(shot), full_page=True)
        publish_docs_image(shot, name)
        assert_accessible(second, f"countersignature page at {width}px")
    second.get_by_role("button", name="Refuse to countersign").click()
    expect(second.get_by_text("Say why you refuse")).to_be_visible()  # the reason is required
    second.get_by_label("Why you refuse").fill("CRP still rising: treat the infection first.")
    second.get_by_role("button", name="Refuse to countersign").click()
    expect(second.get_by_text("Countersignature refused: the decision goes back")).to_be_visible()
    second.close()

    # The decider is notified, reads the reason and corrects the decision.
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_test_id("notifications")).to_contain_text("refused to countersign")
    page.goto(f"{live_server.url}/reviews/referrals/{infected.pk}/")
    expect(page.get_by_test_id("refusal-notice")).to_contain_text("CRP still rising")
    expect(page.get_by_test_id("correction-form")).to_be_visible()
