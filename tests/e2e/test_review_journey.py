"""A radiologist works the worklist, overrides the engine on a flagged referral, and the
referring physician then reads the decision."""

import copy
import datetime as dt
import importlib
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from eligibility.engine import RULES_BY_ID
from patients.models import Referral
from tests.factories import ELIGIBLE_CASE, case_with, make_patient, make_referral

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RETROPULSION = {**ELIGIBLE_CASE["levels"][0], "level": "L1", "canal_compromise_pct": 35}
# (family name, given name, MRN, hours waiting, case) of the worklist; names are invented.
WORKLIST = [
    ("Moreau", "Jeanne", "40211", 50, case_with(levels=[RETROPULSION])),
    ("Lefèvre", "Anne", "40388", 20, case_with(levels=[RETROPULSION, ELIGIBLE_CASE["levels"][0]])),
    ("Lambert", "Hugo", "39870", 70, case_with(coagulopathy=None)),
    ("Okafor", "Sam", "40502", 6, ELIGIBLE_CASE),
    ("Haddad", "Omar", "40117", 28, case_with(systemic_infection=True)),
]


def nav(page):
    return page.get_by_role("navigation", name="Main navigation")


@pytest.fixture(autouse=True)
def reason_codes(db):
    """The seeded reason codes; an earlier transactional test's flush deleted them."""
    from django.apps import apps

    importlib.import_module("reviews.migrations.0002_seed_reason_codes").seed(apps, None)


@pytest.fixture(autouse=True)
def in_process_celery():
    """Notifications are delivered in the live server's process (a real worker is optional)."""
    from vpselect.celery import app

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


def test_radiologist_overrides_on_a_flagged_referral_and_the_physician_sees_the_decision(
    page, browser, live_server, login, make_user, artifacts_dir
):
    physician = make_user(
        Role.PHYSICIAN, username="dr-moreau", first_name="Paula", last_name="Moreau"
    )
    make_user(Role.RADIOLOGIST, username="ir-deramond", first_name="Rita", last_name="Deramond")
    referrals = {}
    for family, given, mrn, hours, case in WORKLIST:
        patient = make_patient(by=physician, family_name=family, given_name=given, mrn=mrn)
        referrals[family] = make_referral(
            physician=physician, patient=patient, case=copy.deepcopy(case), submit=True
        )
        Referral.objects.filter(pk=referrals[family].pk).update(
            submitted_at=timezone.now() - dt.timedelta(hours=hours)
        )
    flagged = referrals["Moreau"]

    # The radiologist opens the worklist: the flagged referral comes first.
    login(page, "ir-deramond")
    nav(page).get_by_role("link", name="Worklist").click()
    rows = page.get_by_test_id("worklist-row")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Moreau, Jeanne")
    expect(rows.first.get_by_test_id("flagged")).to_be_visible()
    expect(rows.first).to_contain_text("L1 retropulsion > 20%")
    page.screenshot(path=str(artifacts_dir / "review-worklist.png"), full_page=True)

    # They review it and accept L1 against the engine's "review".
    rows.first.get_by_role("link", name="Moreau, Jeanne").click()
    expect(page.get_by_role("heading", name=re.compile("Moreau, Jeanne"))).to_be_visible()
    expect(
        page.get_by_text("Retropulsed fragment with > 20% spinal canal compromise").first
    ).to_be_visible()
    page.get_by_role("button", name="Start review").click()
    page.get_by_label("Accept", exact=True).check()
    page.get_by_label(re.compile(r"L1 \(engine: review\)")).check()
    page.get_by_role("button", name="Record decision").click()
    expect(
        page.get_by_text("This decision disagrees with the engine: choose an override reason.")
    ).to_be_visible()

    page.get_by_label("Accept", exact=True).check()
    page.get_by_label(re.compile(r"L1 \(engine: review\)")).check()
    page.get_by_label("Override reason").select_option(
        label="Imaging reviewed: the findings differ from the referral"
    )
    page.get_by_label("Comment").fill(
        "CT shows a stable posterior wall; canal compromise overestimated."
    )
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded: Accept.")).to_be_visible()
    expect(page.get_by_test_id("referral-status")).to_have_text("Accepted")
    expect(page.get_by_test_id("decision").first).to_contain_text("Override")
    page.screenshot(path=str(artifacts_dir / "review-decided.png"), full_page=True)

    # Back on the worklist: three left, and the per-rule override table counts the override.
    nav(page).get_by_role("link", name="Worklist").click()
    expect(page.get_by_test_id("worklist-row")).to_have_count(4)
    expect(page.get_by_test_id("override-table")).to_contain_text(
        RULES_BY_ID["RCI-RETROPULSION"].text
    )
    page.set_viewport_size({"width": 1400, "height": 820})
    # The README's worklist pictures come from tests/e2e/test_worklist_countersign.py.
    page.screenshot(path=str(artifacts_dir / "worklist-after-decision.png"), full_page=True)

    # The referring physician reads the decision on the referral page and in notifications.
    physician_page = browser.new_page()
    login(physician_page, "dr-moreau")
    expect(physician_page.get_by_test_id("nav-unread")).to_contain_text("1")
    physician_page.goto(f"{live_server.url}/referrals/{flagged.pk}/")
    decisions = physician_page.get_by_test_id("referral-decisions")
    expect(decisions).to_contain_text("Accepted for vertebroplasty: L1.")
    expect(decisions).to_contain_text("CT shows a stable posterior wall")
    nav(physician_page).get_by_role("link", name=re.compile("Notifications")).click()
    expect(physician_page.get_by_test_id("notifications")).to_contain_text(
        f"A radiologist accepted referral #{flagged.pk} (Moreau, Jeanne)."
    )
    physician_page.screenshot(
        path=str(artifacts_dir / "review-physician-sees-decision.png"), full_page=True
    )
    physician_page.close()
