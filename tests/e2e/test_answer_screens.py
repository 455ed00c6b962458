"""The answers, worded by patients.vocabulary, as a physician and a radiologist see them on a
desktop and on a phone: the same words on the referral page, the review page and the summary."""

import copy
import importlib
import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.factories import ELIGIBLE_CASE, case_with, make_patient, make_referral

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RETROPULSION = {**ELIGIBLE_CASE["levels"][0], "level": "L1", "canal_compromise_pct": 35}
CASE = case_with(
    inr=1.15,
    platelets=210,
    radicular_pain=None,
    levels=[copy.deepcopy(ELIGIBLE_CASE["levels"][0]), RETROPULSION],
)
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture(autouse=True)
def reason_codes(db):
    from django.apps import apps

    importlib.import_module("reviews.migrations.0002_seed_reason_codes").seed(apps, None)


def test_each_answer_reads_the_same_on_the_referral_review_and_summary_pages(
    page, browser, live_server, login, make_user, artifacts_dir
):
    physician = make_user(Role.PHYSICIAN, username="dr-vocab", first_name="Paula")
    make_user(Role.RADIOLOGIST, username="ir-vocab", first_name="Rita")
    patient = make_patient(by=physician, family_name="Moreau", given_name="Jeanne")
    referral = make_referral(physician=physician, patient=patient, case=CASE, submit=True)
    screens = {
        "referral": f"{live_server.url}/referrals/{referral.pk}/",
        "review": f"{live_server.url}/reviews/referrals/{referral.pk}/",
        "summary": f"{live_server.url}/referrals/{referral.pk}/summary/",
    }
    canal = re.compile(r"Spinal canal compromise \(%\)")

    login(page, "dr-vocab")
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(screens["referral"])
        expect(page.get_by_role("row", name=re.compile("Radicular pain Unknown"))).to_be_visible()
        expect(page.get_by_role("row", name=canal).last).to_contain_text("35")
        page.screenshot(
            path=str(artifacts_dir / f"answers-referral-{width_name}.png"), full_page=True
        )

    radiologist_page = browser.new_page()
    login(radiologist_page, "ir-vocab")
    for width_name, width in WIDTHS.items():
        radiologist_page.set_viewport_size({"width": width, "height": 900})
        radiologist_page.goto(screens["review"])
        expect(radiologist_page.get_by_role("columnheader", name=canal)).to_be_visible()
        expect(radiologist_page.locator("dt:text-is('Radicular pain') + dd")).to_have_text(
            "Unknown"
        )
        radiologist_page.screenshot(
            path=str(artifacts_dir / f"answers-review-{width_name}.png"), full_page=True
        )
        radiologist_page.goto(screens["summary"])
        expect(radiologist_page.get_by_role("row", name=canal).first).to_contain_text("35")
        radiologist_page.screenshot(
            path=str(artifacts_dir / f"answers-summary-{width_name}.png"), full_page=True
        )
