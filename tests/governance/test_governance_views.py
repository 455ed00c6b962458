"""The rules page, the governance pages and the review page's rules-change notice, over HTTP."""

import copy
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from accounts.roles import Role
from eligibility.engine import DEFAULT_THRESHOLDS
from eligibility.models import Evaluation, RulesetReplay, RulesetVersion
from governance.services import (
    PROPOSER_CANNOT_APPROVE,
    RATIONALE_REQUIRED,
    ruleset_activate,
    ruleset_approve,
    ruleset_draft_create,
    ruleset_replay_request,
)
from summaries.content import build_summary
from summaries.services import summary_to_pdf
from tests.factories import ELIGIBLE_CASE, make_referral

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)
PAIN_SIX = copy.deepcopy(ELIGIBLE_CASE)
PAIN_SIX["levels"][0]["pain_nrs"] = 6
NRS6 = {**DEFAULT_THRESHOLDS.as_named(), "SEVERE_PAIN_NRS": 6}


@pytest.fixture
def leads(make_user):
    return [
        make_user(Role.GOVERNANCE, username=f"lead-{n}", first_name=f"Lead{n}", last_name="Gov")
        for n in (1, 2, 3)
    ]


def draft_by(lead):
    return ruleset_draft_create(
        values=NRS6,
        reasons={"SEVERE_PAIN_NRS": ("Lower band.", "Clinic audit 2026")},
        summary="NRS 6 is severe here.",
        by=lead,
    )


def active_draft(leads, capture):
    draft = draft_by(leads[0])
    with capture(execute=True):
        ruleset_replay_request(version=draft, by=leads[0])
    ruleset_approve(version=draft, by=leads[1], comment="Agreed.")
    ruleset_approve(version=draft, by=leads[2], comment="Agreed.")
    with capture(execute=True):
        ruleset_activate(version=draft, by=leads[1], reason="Board decision.")
    draft.refresh_from_db()
    return draft


def form_data(**changes) -> dict:
    data = {name: value for name, value in DEFAULT_THRESHOLDS.as_named().items()}
    data["summary"] = "Guideline update."
    data.update(changes)
    return data


def test_rules_page_shows_the_active_version_its_date_and_approvers_in_fixed_queries(
    leads, client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    draft = active_draft(leads, django_capture_on_commit_callbacks)
    client.force_login(leads[2])
    url = reverse("governance:rules")
    client.get(url)
    # session, user, groups; active version + approvals; versions + approvals; audit.
    with django_assert_num_queries(8):
        page = client.get(url).content.decode()
    assert f"Ruleset version {draft.number}" in page and draft.ruleset_version in page
    assert "Lead2 Gov, Lead3 Gov" in page
    assert "Lower band." in page and "Clinic audit 2026" in page


@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.RADIOLOGIST, Role.STAFF])
def test_clinicians_read_the_rules_page_but_no_governance_page(make_user, client, role, leads):
    draft = draft_by(leads[0])
    client.force_login(make_user(role))
    assert client.get(reverse("governance:rules")).status_code == 200
    assert client.get(reverse("governance:version-create")).status_code == 403
    assert client.get(draft.get_absolute_url()).status_code == 403
    assert client.post(reverse("governance:version-approve", args=[draft.pk])).status_code == 403


def test_a_change_without_its_rationale_is_refused_next_to_the_field_and_stores_nothing(
    leads, client
):
    client.force_login(leads[0])
    response = client.post(
        reverse("governance:version-create"),
        form_data(SEVERE_PAIN_NRS=6, SEVERE_PAIN_NRS_citation="Audit"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"SEVERE_PAIN_NRS_rationale": [RATIONALE_REQUIRED]}
    assert not RulesetVersion.objects.filter(status="draft").exists()


def test_a_value_that_is_not_a_number_is_refused_next_to_its_field(leads, client):
    client.force_login(leads[0])
    response = client.post(reverse("governance:version-create"), form_data(INR_MAX="1,8"))
    assert response.status_code == 400
    assert "INR_MAX" in response.context["form"].errors
    assert not RulesetVersion.objects.exists()


def test_a_proposed_draft_opens_on_its_page(leads, client):
    client.force_login(leads[0])
    response = client.post(
        reverse("governance:version-create"),
        form_data(
            INR_MAX="1.8",
            INR_MAX_rationale="SIR 2019 allows up to 1.8.",
            INR_MAX_citation="SIR 2019 consensus",
        ),
    )
    draft = RulesetVersion.objects.get(status="draft")
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    assert draft.changes == {
        "INR_MAX": {
            "from": 1.5,
            "to": 1.8,
            "rationale": "SIR 2019 allows up to 1.8.",
            "citation": "SIR 2019 consensus",
        }
    }


def test_the_progress_bar_is_polled_while_the_replay_runs(leads, client):
    draft = draft_by(leads[0])
    replay = RulesetReplay.objects.create(
        version=draft, requested_by=leads[0], status="running", total=200, done=50
    )
    client.force_login(leads[1])
    page = client.get(reverse("governance:replay-progress", args=[replay.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'max="200" value="50"' in page
    assert "Replaying: 50 of 200 referrals" in page


def test_the_proposer_approving_on_the_page_is_told_why_not(
    leads, client, django_capture_on_commit_callbacks
):
    draft = draft_by(leads[0])
    with django_capture_on_commit_callbacks(execute=True):
        ruleset_replay_request(version=draft, by=leads[0])
    client.force_login(leads[0])
    response = client.post(
        reverse("governance:version-approve", args=[draft.pk]), {"comment": "Mine."}
    )
    assert response.status_code == 400
    assert str(PROPOSER_CANNOT_APPROVE) in response.content.decode()
    assert draft.approvals.count() == 0


def test_review_page_offers_re_evaluation_under_the_active_rules_and_it_stores_one(
    leads, physician, radiologist, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
    draft = active_draft(leads, django_capture_on_commit_callbacks)
    client.force_login(radiologist)
    review = reverse("reviews:review", args=[referral.pk])
    page = client.get(review).content.decode()
    assert 'data-testid="ruleset-impact"' in page and "Re-evaluate under the active rules" in page
    rules = client.get(reverse("governance:rules")).content.decode()
    assert review in rules

    response = client.post(reverse("governance:referral-reevaluate", args=[referral.pk]))
    assert response.status_code == 302 and response["Location"] == review
    latest = Evaluation.objects.filter(referral=referral).first()
    assert latest.ruleset_version == draft.ruleset_version and latest.recommendation == "eligible"
    assert 'data-testid="ruleset-impact"' not in client.get(review).content.decode()
    # Nothing left to re-evaluate: a second post changes nothing.
    assert (
        client.post(reverse("governance:referral-reevaluate", args=[referral.pk])).status_code
        == 404
    )
    assert Evaluation.objects.filter(referral=referral).count() == 2


def test_summary_names_the_governed_version_of_its_evaluation_and_its_approvers(
    leads, physician, clinic_staff, client, django_capture_on_commit_callbacks
):
    draft = active_draft(leads, django_capture_on_commit_callbacks)
    referral = make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
    client.force_login(clinic_staff)
    page = client.get(reverse("summaries:referral-summary", args=[referral.pk])).content.decode()
    assert f"Evaluated under governed ruleset version {draft.number}" in page
    assert "approved by Lead2 Gov, Lead3 Gov" in page


def test_version_page_reads_a_fixed_number_of_queries_however_many_referrals_change(
    leads, physician, client, django_capture_on_commit_callbacks
):
    def replay_page_queries(referrals: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(referrals):
                make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
        draft = draft_by(leads[0])
        with django_capture_on_commit_callbacks(execute=True):
            ruleset_replay_request(version=draft, by=leads[0])
        url = draft.get_absolute_url()
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert (
            page.count('class="badge text-bg-warning">open')
            == draft.replays.get().report["changed"]
        )
        return len(captured)

    client.force_login(leads[1])
    few = replay_page_queries(2)
    many = replay_page_queries(6)  # 8 changed referrals now
    assert few == many
    # session, user, groups; version + approvals; replay; changes count + page; audit.
    assert many == 9


def test_the_pdf_summary_names_the_governed_version_its_date_and_approvers(
    leads, physician, django_capture_on_commit_callbacks
):
    draft = active_draft(leads, django_capture_on_commit_callbacks)
    referral = make_referral(physician=physician, case=PAIN_SIX, submit=True, today=TODAY)
    pdf = summary_to_pdf(build_summary(referral=referral, evaluation=referral.latest_evaluation))
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert f"Evaluated under governed ruleset version {draft.number}, active from" in text
    assert "approved by Lead2 Gov, Lead3 Gov" in text
