"""The decision form per outcome: its own reason list each, the countersignature notice before
signing, and only the chosen outcome's fields read by the server (so it works without JS)."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from eligibility.engine import RULES_BY_ID
from reviews.models import ReasonCode, ReviewDecision
from reviews.services import referral_claim

pytestmark = pytest.mark.django_db


def code(slug: str) -> ReasonCode:
    return ReasonCode.objects.get(code=slug)


def review_page(client, referral):
    return client.get(reverse("reviews:review", args=[referral.pk]))


def test_each_outcome_has_its_own_reason_list(radiologist_client, radiologist, submitted):
    referral = submitted("not_eligible")
    referral_claim(referral=referral, by=radiologist)

    form = review_page(radiologist_client, referral).context["form"]

    def offered(name):
        return {
            ReasonCode.objects.get(pk=value).kind
            for _group, options in form.fields[name].choices[1:]
            for value, _label in options
        }

    assert offered("decline_reason") == {ReasonCode.Kind.DECLINE}
    assert offered("information_reason") == {ReasonCode.Kind.INFORMATION}
    assert offered("override_reason") == {ReasonCode.Kind.OVERRIDE}


def test_the_form_warns_before_signing_that_accepting_over_an_absolute_rule_needs_a_second(
    radiologist_client, radiologist, submitted
):
    referral = submitted("not_eligible")  # L2 with a systemic infection
    referral_claim(referral=referral, by=radiologist)

    html = review_page(radiologist_client, referral).content.decode()

    notice = html.split('data-testid="countersignature-notice"', 1)[1].split("</div>", 1)[0]
    assert "second radiologist" in notice
    assert escape(RULES_BY_ID["CI-INFECTION"].text) in notice and "CI-INFECTION" not in notice
    assert 'data-countersign-level="L2"' in notice
    for outcome in ("accept", "decline", "request_information"):
        assert f'data-outcome-section="{outcome}"' in html
    assert "js/decision-form.js" in html


def test_no_notice_when_no_level_has_a_met_absolute_contraindication(
    radiologist_client, radiologist, submitted
):
    referral = submitted("review")
    referral_claim(referral=referral, by=radiologist)

    html = review_page(radiologist_client, referral).content.decode()

    assert 'data-testid="countersignature-notice"' not in html


def test_the_server_reads_only_the_chosen_outcomes_fields(
    radiologist_client, radiologist, submitted
):
    referral = submitted("incomplete")
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()

    response = radiologist_client.post(
        reverse("reviews:decide", args=[referral.pk]),
        {
            "expected_version": referral.version,
            "outcome": "request_information",
            # Left filled in the hidden parts of the form: ignored.
            "levels_to_treat": ["L2"],
            "decline_reason": code("pain-controlled").pk,
            "information_reason": code("needs-coagulation").pk,
            "comment": "Is the patient on anticoagulants?",
        },
    )

    assert response.status_code == 302
    decision = ReviewDecision.objects.get()
    assert decision.reason_code == code("needs-coagulation")
    assert decision.levels_to_treat == [] and not decision.is_override
