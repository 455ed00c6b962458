"""A radiologist records a procedure and two follow-ups, then reads the chart and the dashboard."""

import copy
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.roles import Role
from outcomes.services import TreatedLevelInput, follow_up_record, procedure_record
from tests.e2e.conftest import publish_docs_image
from tests.factories import (
    ELIGIBLE_CASE,
    case_with,
    make_patient,
    make_referral,
    record_decision,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INTERVALS = ("day_1", "week_1", "month_1", "month_3", "month_6", "month_12")
# Demonstration cohort: intake pain and pain at each interval (a few patients not seen yet).
COHORT = [
    (9, [5, 4, 3, 2, 2, 1]),
    (8, [4, 3, 3, 2, 1, 1]),
    (10, [6, 5, 4, 3, 3, 2]),
    (7, [6, 6, 7, 6, 6, 6]),  # not much better
    (8, [3, 2, 2, 1, 1, 0]),
    (9, [7, 6, 6, 5, 5, 4]),
    (8, [4, 3, 2, 2, 2]),
    (10, [5, 4, 3, 3]),
    (7, [3, 2, 2]),
    (9, [6, 4]),
]


def accept(physician, radiologist, *, pain_nrs, family_name):
    case = case_with(levels=[{**ELIGIBLE_CASE["levels"][0], "pain_nrs": pain_nrs}])
    patient = make_patient(by=physician, family_name=family_name, given_name="Demo")
    referral = make_referral(
        physician=physician, patient=patient, case=copy.deepcopy(case), submit=True
    )
    record_decision(referral, by=radiologist, outcome="accept", levels_to_treat=["L2"])
    return referral


def treat_cohort(physician, radiologist, today):
    """Earlier patients, recorded through the services with their follow-up dates passed in."""
    for index, (baseline, pains) in enumerate(COHORT):
        referral = accept(
            physician, radiologist, pain_nrs=baseline, family_name=f"Cohort{index:02d}"
        )
        procedure = procedure_record(
            referral=referral,
            by=radiologist,
            performed_on=today,
            levels=[TreatedLevelInput("L2", Decimal("2.5") + index % 4, "transpedicular")],
            guidance="both",
            anaesthesia="local",
            admission="outpatient",
            had_complications=index == 3,
            leakage_sites=["disc"] if index == 3 else [],
            leakage_symptomatic=False if index == 3 else None,
            today=today,
        )
        # Some demonstration patients are not seen at every interval: zip stops early.
        for interval, pain in zip(INTERVALS, pains, strict=False):
            follow_up = procedure.follow_ups.get(interval=interval)
            follow_up_record(
                follow_up=follow_up,
                by=radiologist,
                assessed_on=follow_up.target_date,
                pain_nrs=pain,
                analgesics="none" if pain < 3 else "non_opioid",
                mobility="independent",
                back_to_usual_activities=pain < 4,
                new_fracture=False,
                today=follow_up.target_date,
            )


def test_radiologist_records_a_procedure_and_two_follow_ups_and_sees_chart_and_dashboard(
    page, live_server, login, make_user, artifacts_dir
):
    physician = make_user(Role.PHYSICIAN, username="e2e-dr", first_name="Marie", last_name="Curie")
    radiologist = make_user(
        Role.RADIOLOGIST, username="e2e-ir", first_name="Hélène", last_name="Deramond"
    )
    today = timezone.localdate()
    treat_cohort(physician, radiologist, today)
    referral = accept(physician, radiologist, pain_nrs=9, family_name="Martin")
    page.set_viewport_size({"width": 1400, "height": 1000})
    login(page, radiologist.username)

    # The accepted referral waits on the procedures page.
    page.get_by_role("link", name="Procedures", exact=True).click()
    awaiting = page.get_by_test_id("awaiting-procedure")
    awaiting.get_by_role("link", name=f"Record procedure for referral #{referral.pk}").click()

    page.get_by_label("Procedure date").fill(today.isoformat())
    page.get_by_label("L2 treated").check()
    page.get_by_label("L2 cement volume (ml)").fill("5.5")
    page.get_by_label("L2 needle approach").select_option("transpedicular")
    page.locator("#id_guidance_2").check()  # CT and fluoroscopy
    page.locator("#id_anaesthesia_0").check()  # local
    page.locator("#id_admission_0").check()  # outpatient
    page.locator("#id_had_complications_0").check()  # none
    page.get_by_role("button", name="Record the procedure").click()

    page.wait_for_url(f"{live_server.url}/outcomes/referrals/{referral.pk}/")
    assert "Procedure recorded" in page.get_by_role("status").inner_text()
    assert page.get_by_test_id("unusual-volume").is_visible()  # 5.5 ml: outside 2–4 ml

    for interval, label, pain in [("day_1", "1 day", "5"), ("week_1", "1 week", "3")]:
        page.get_by_role("link", name=f"Record the {label} follow-up").click()
        page.get_by_label("Pain NRS (0–10)").fill(pain)
        page.locator("#id_analgesics_1").check()  # non-opioid
        page.locator("#id_mobility_0").check()  # independent
        page.locator("#id_back_to_usual_activities_0").check()  # yes
        page.locator("#id_new_fracture_1").check()  # no
        page.get_by_role("button", name="Record the follow-up").click()
        page.wait_for_url(f"{live_server.url}/outcomes/referrals/{referral.pk}/")
        row = page.locator(f'tr[data-interval="{interval}"]')
        assert "Completed" in row.inner_text()

    chart = page.get_by_test_id("pain-chart")
    points = chart.locator("g.point")
    assert points.count() == 3
    assert [points.nth(i).get_attribute("data-nrs") for i in range(3)] == ["9", "5", "3"]
    page.screenshot(path=str(artifacts_dir / "outcomes-patient-chart.png"), full_page=True)

    page.get_by_role("link", name="Outcomes", exact=True).click()
    assert page.get_by_test_id("procedure-count").inner_text() == str(len(COHORT) + 1)
    assert page.get_by_test_id("cohort-chart").locator("g.point").count() == 7
    dashboard = artifacts_dir / "outcomes-dashboard.png"
    page.screenshot(path=str(dashboard), full_page=True)
    publish_docs_image(dashboard, "outcomes-dashboard.png")
