import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.models import Referral
from reviews import services
from reviews.models import (
    Countersignature,
    CountersignatureRefusal,
    OutboxMessage,
    ReasonCode,
    ReviewDecision,
)
from reviews.services import decision_record, referral_claim
from reviews.signals import decision_recorded
from tests.factories import record_decision

from .conftest import decision_post

pytestmark = pytest.mark.django_db


def code(slug: str) -> ReasonCode:
    return ReasonCode.objects.get(code=slug)


def claimed(referral, radiologist):
    """Claim the referral; the submission's e-mails to the radiologists are forgotten."""
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()
    mail.outbox.clear()
    return referral


def decide(client, referral, **fields):
    return client.post(
        reverse("reviews:decide", args=[referral.pk]), decision_post(referral, **fields)
    )


def test_start_review_assigns_the_referral_to_the_radiologist(
    radiologist_client, radiologist, submitted
):
    referral = submitted("eligible")

    response = radiologist_client.post(reverse("reviews:claim", args=[referral.pk]))

    referral.refresh_from_db()
    assert response.status_code == 302
    assert referral.status == Referral.Status.UNDER_REVIEW
    assert referral.assigned_radiologist == radiologist
    page = radiologist_client.get(reverse("reviews:review", args=[referral.pk]))
    assert (
        page.context["form"] is not None and 'data-testid="decision-form"' in page.content.decode()
    )


def test_a_second_radiologist_cannot_take_a_claimed_referral(
    client, radiologist, radiologist2, submitted
):
    referral = claimed(submitted("eligible"), radiologist)
    client.force_login(radiologist2)

    client.post(reverse("reviews:claim", args=[referral.pk]))
    page = client.get(reverse("reviews:review", args=[referral.pk]))
    refused = decide(client, referral, outcome="accept", levels_to_treat=["L2"])

    referral.refresh_from_db()
    assert referral.assigned_radiologist == radiologist
    assert str(services.REFERRAL_CLAIMED_BY_OTHER) in page.content.decode()
    assert page.context["form"] is None
    assert refused.status_code == 409
    assert not ReviewDecision.objects.exists()


def test_accepting_an_eligible_level_accepts_the_referral_without_override(
    radiologist_client, radiologist, submitted, django_capture_on_commit_callbacks
):
    referral = claimed(submitted("eligible"), radiologist)
    received = []
    decision_recorded.connect(lambda sender, decision, **kw: received.append(decision), weak=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(radiologist_client, referral, outcome="accept", levels_to_treat=["L2"])

    referral.refresh_from_db()
    decision = ReviewDecision.objects.get()
    assert response.status_code == 302
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.version == decision.referral_version + 1
    assert decision.levels_to_treat == ["L2"] and not decision.is_override
    assert decision.engine_recommendation == "eligible"
    assert decision.engine_level_recommendations == {"L2": "eligible"}
    assert decision.decided_by == radiologist and decision.takes_effect
    assert received == [decision]
    assert [m.to for m in mail.outbox] == [[referral.physician.email]]


def test_declining_records_the_coded_reason_and_comment(radiologist_client, radiologist, submitted):
    referral = claimed(submitted("not_eligible"), radiologist)

    decide(
        radiologist_client,
        referral,
        outcome="decline",
        decline_reason=code("contraindication-present").pk,
        comment="Active infection.",
    )

    referral.refresh_from_db()
    decision = ReviewDecision.objects.get()
    assert referral.status == Referral.Status.DECLINED
    assert decision.reason_code.code == "contraindication-present"
    assert decision.comment == "Active infection." and not decision.is_override


def test_requesting_information_returns_the_referral_to_the_physician(
    radiologist_client, radiologist, submitted
):
    referral = claimed(submitted("incomplete"), radiologist)

    decide(
        radiologist_client,
        referral,
        outcome="request_information",
        information_reason=code("needs-coagulation").pk,
        comment="Is the patient on anticoagulants?",
    )

    referral.refresh_from_db()
    assert referral.status == Referral.Status.INFORMATION_REQUESTED
    assert referral.is_editable_by_physician
    assert ReviewDecision.objects.get().comment == "Is the patient on anticoagulants?"


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("review", {"outcome": "accept", "levels_to_treat": ["L1"]}),
        ("incomplete", {"outcome": "accept", "levels_to_treat": ["L2"]}),
        ("not_eligible", {"outcome": "accept", "levels_to_treat": ["L2"]}),
        ("eligible", {"outcome": "decline", "decline_reason": "pain-controlled"}),
    ],
)
def test_a_decision_against_the_engine_needs_an_override_reason_and_a_comment(
    radiologist_client, radiologist, submitted, kind, fields
):
    referral = claimed(submitted(kind), radiologist)
    if "decline_reason" in fields:
        fields = {**fields, "decline_reason": code(fields["decline_reason"]).pk}

    response = decide(radiologist_client, referral, **fields)

    errors = response.context["form"].errors
    assert response.status_code == 400
    assert errors["override_reason"] == [services.OVERRIDE_REASON_REQUIRED]
    assert errors["comment"] == [services.OVERRIDE_COMMENT_REQUIRED]
    assert str(services.OVERRIDE_REASON_REQUIRED) in response.content.decode()
    assert not ReviewDecision.objects.exists()
    assert Referral.objects.get(pk=referral.pk).version == referral.version


def test_an_override_is_stored_with_the_engine_recommendation_and_the_rules_overridden(
    radiologist_client, radiologist, submitted
):
    referral = claimed(submitted("two_levels"), radiologist)

    response = decide(
        radiologist_client,
        referral,
        outcome="accept",
        levels_to_treat=["L2", "L1"],
        override_reason=code("imaging-reviewed").pk,
        comment="Fragment is stable on CT.",
    )

    decision = ReviewDecision.objects.get()
    assert response.status_code == 302
    assert decision.is_override and decision.override_reason.code == "imaging-reviewed"
    assert decision.levels_to_treat == ["L1", "L2"]
    assert decision.engine_level_recommendations == {"L1": "review", "L2": "eligible"}
    assert decision.overridden_rules == ["RCI-RETROPULSION"]
    assert not decision.requires_countersignature
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.ACCEPTED


def test_declining_while_a_level_is_eligible_is_an_override(
    radiologist_client, radiologist, submitted
):
    referral = claimed(submitted("eligible"), radiologist)

    decide(
        radiologist_client,
        referral,
        outcome="decline",
        decline_reason=code("pain-controlled").pk,
        override_reason=code("clinical-judgement").pk,
        comment="Pain improved at follow-up.",
    )

    decision = ReviewDecision.objects.get()
    assert decision.is_override and decision.overridden_rules == []
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DECLINED


def test_an_override_reason_is_ignored_when_the_decision_agrees_with_the_engine(
    radiologist_client, radiologist, submitted
):
    referral = claimed(submitted("eligible"), radiologist)

    decide(
        radiologist_client,
        referral,
        outcome="accept",
        levels_to_treat=["L2"],
        override_reason=code("clinical-judgement").pk,
    )

    decision = ReviewDecision.objects.get()
    assert not decision.is_override and decision.override_reason is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"outcome": "accept"}, "levels_to_treat", services.LEVELS_REQUIRED),
        ({"outcome": "decline"}, "decline_reason", services.REASON_REQUIRED),
        ({"outcome": "request_information"}, "information_reason", services.REASON_REQUIRED),
        # A decline reason is not on the information request's list.
        (
            {"outcome": "request_information", "information_reason": "pain-controlled"},
            "information_reason",
            None,
        ),
        # The decline's list is ignored for an information request: its own list is empty.
        (
            {"outcome": "request_information", "decline_reason": "pain-controlled"},
            "information_reason",
            services.REASON_REQUIRED,
        ),
        ({"outcome": "maybe"}, "outcome", None),
        ({"outcome": "accept", "levels_to_treat": ["T4"]}, "levels_to_treat", None),
    ],
)
def test_bad_decisions_are_refused_next_to_the_field_and_nothing_is_saved(
    radiologist_client, radiologist, submitted, fields, field, message
):
    referral = claimed(submitted("not_eligible"), radiologist)
    for name in ("decline_reason", "information_reason"):
        if name in fields:
            fields = {**fields, name: code(fields[name]).pk}

    response = decide(radiologist_client, referral, **fields)

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert message is None or message in errors
    assert not ReviewDecision.objects.exists()
    assert not OutboxMessage.objects.filter(kind__startswith="decision").exists()


def test_accepting_over_an_absolute_contraindication_waits_for_a_countersignature(
    client, radiologist, radiologist2, submitted, django_capture_on_commit_callbacks
):
    referral = claimed(submitted("not_eligible"), radiologist)
    client.force_login(radiologist)

    with django_capture_on_commit_callbacks(execute=True):
        decide(
            client,
            referral,
            outcome="accept",
            levels_to_treat=["L2"],
            override_reason=code("benefit-outweighs-risk").pk,
            comment="Infection treated; cultures negative.",
        )

    decision = ReviewDecision.objects.get()
    referral.refresh_from_db()
    assert decision.requires_countersignature and not decision.takes_effect
    assert "CI-INFECTION" in decision.overridden_rules
    assert referral.status == Referral.Status.UNDER_REVIEW
    page = client.get(reverse("reviews:review", args=[referral.pk])).content.decode()
    assert "Override pending countersignature" in page
    worklist = client.get(reverse("reviews:worklist")).content.decode()
    assert "Override pending countersignature" in worklist
    # The second radiologist is asked; the referrer hears nothing yet.
    assert [m.to for m in mail.outbox] == [[radiologist2.email]]
    assert "countersignature" in mail.outbox[0].subject


def test_a_radiologist_cannot_countersign_their_own_override(client, radiologist, submitted):
    referral = claimed(submitted("not_eligible"), radiologist)
    decision = record_decision(
        referral,
        by=radiologist,
        outcome="accept",
        levels_to_treat=["L2"],
        override_reason=code("clinical-judgement"),
        comment="Treated.",
    )
    client.force_login(radiologist)
    url = reverse("reviews:countersign", args=[decision.pk])

    page = client.get(url)
    response = client.post(url)
    refusal = client.post(
        reverse("reviews:countersign-refuse", args=[decision.pk]), {"reason": "x"}
    )

    assert page.status_code == response.status_code == refusal.status_code == 403
    assert not Countersignature.objects.exists()
    assert not CountersignatureRefusal.objects.exists()
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.UNDER_REVIEW


def test_a_second_radiologists_countersignature_makes_the_acceptance_take_effect(
    client, radiologist, radiologist2, submitted, django_capture_on_commit_callbacks
):
    referral = claimed(submitted("not_eligible"), radiologist)
    decision = record_decision(
        referral,
        by=radiologist,
        outcome="accept",
        levels_to_treat=["L2"],
        override_reason=code("clinical-judgement"),
        comment="Treated.",
    )
    client.force_login(radiologist2)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:countersign", args=[decision.pk]), {"comment": "Agreed."}
        )

    decision.refresh_from_db()
    assert response.status_code == 302
    assert decision.countersignature.signed_by == radiologist2 and decision.takes_effect
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.ACCEPTED
    assert [m.to for m in mail.outbox] == [[referral.physician.email]]
    again = client.post(reverse("reviews:countersign", args=[decision.pk]))
    assert again.status_code == 400 and Countersignature.objects.count() == 1


def test_a_decision_on_a_stale_version_is_refused_with_409_and_nothing_saved(
    client, radiologist, submitted, django_capture_on_commit_callbacks
):
    from django.test import Client

    referral = claimed(submitted("eligible"), radiologist)
    first_tab, second_tab = Client(), Client()
    first_tab.force_login(radiologist)
    second_tab.force_login(radiologist)
    opened_version = (
        first_tab.get(reverse("reviews:review", args=[referral.pk])).context["referral"].version
    )
    second_tab.get(reverse("reviews:review", args=[referral.pk]))

    decide(
        second_tab,
        referral,
        outcome="request_information",
        information_reason=code("needs-mri-stir").pk,
    )
    with django_capture_on_commit_callbacks(execute=True):
        stale = first_tab.post(
            reverse("reviews:decide", args=[referral.pk]),
            {"expected_version": opened_version, "outcome": "accept", "levels_to_treat": ["L2"]},
        )

    assert stale.status_code == 409
    assert str(services.REFERRAL_CHANGED) in stale.content.decode()
    assert stale.context["referral"].status == Referral.Status.INFORMATION_REQUESTED
    assert ReviewDecision.objects.count() == 1
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.INFORMATION_REQUESTED
    assert not mail.outbox


def test_the_service_refuses_a_stale_version_under_the_row_lock(radiologist, submitted):
    referral = claimed(submitted("eligible"), radiologist)

    with pytest.raises(services.StaleReferral):
        decision_record(
            referral=referral,
            by=radiologist,
            expected_version=referral.version - 1,
            outcome="accept",
            levels_to_treat=["L2"],
        )

    assert not ReviewDecision.objects.exists()
    assert Referral.objects.get(pk=referral.pk).version == referral.version


def test_a_stale_post_with_bad_fields_still_answers_409(radiologist_client, radiologist, submitted):
    referral = claimed(submitted("eligible"), radiologist)

    response = radiologist_client.post(
        reverse("reviews:decide", args=[referral.pk]),
        {"expected_version": referral.version - 1, "outcome": "accept"},
    )

    assert response.status_code == 409
    assert not ReviewDecision.objects.exists()


def test_decisions_are_immutable(radiologist, submitted):
    referral = claimed(submitted("eligible"), radiologist)
    decision = record_decision(
        referral,
        by=radiologist,
        outcome="accept",
        levels_to_treat=["L2"],
    )

    decision.comment = "changed"
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()


def test_a_correction_is_a_new_decision_referencing_the_old_one(
    client, radiologist, radiologist2, submitted
):
    referral = claimed(submitted("eligible"), radiologist)
    first = record_decision(
        referral,
        by=radiologist,
        outcome="accept",
        levels_to_treat=["L2"],
    )
    referral.refresh_from_db()
    client.force_login(radiologist2)

    response = client.post(
        reverse("reviews:decide", args=[referral.pk]),
        {
            "correction-expected_version": referral.version,
            "correction-supersedes": first.pk,
            "correction-outcome": "decline",
            "correction-decline_reason": code("no-acute-fracture-on-mri").pk,
            "correction-override_reason": code("imaging-reviewed").pk,
            "correction-comment": "MRI re-read: no oedema.",
        },
    )

    correction = ReviewDecision.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302
    assert correction.supersedes == first and correction.decided_by == radiologist2
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DECLINED
    assert list(ReviewDecision.objects.current()) == [correction]
    page = client.get(reverse("reviews:review", args=[referral.pk])).content.decode()
    assert "Corrected" in page and f"corrects decision #{first.pk}" in page


def test_the_review_page_shows_answers_findings_evaluations_and_history(
    radiologist_client, radiologist, submitted
):
    referral = claimed(submitted("review", family_name="Deramond"), radiologist)

    response = radiologist_client.get(reverse("reviews:review", args=[referral.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Deramond" in html and referral.patient.mrn in html
    assert "Spinal canal compromise (%)" in html and "35" in html
    assert "Retropulsed fragment with &gt; 20% spinal canal compromise" in html
    assert "first evaluation" in html
    assert 'data-testid="change-history"' in html
    assert "Assigned radiologist: — → Ir-A Tester" in html  # a name, not a user id
    assert "Status: Submitted → Under review" in html  # labels, not field names and codes
    assert "Version: 2 → 3" in html
    assert "Recommendation: — → Review" in html and "Flagged for review: No → Yes" in html


def test_drafts_and_unknown_referrals_answer_404_on_the_review_page(radiologist_client, physician):
    from tests.factories import make_referral

    draft = make_referral(physician=physician)

    assert radiologist_client.get(reverse("reviews:review", args=[draft.pk])).status_code == 404
    assert radiologist_client.get(reverse("reviews:review", args=[99999])).status_code == 404


def test_physicians_cannot_decide(client, physician, submitted):
    referral = submitted("eligible")
    client.force_login(physician)

    response = decide(client, referral, outcome="accept", levels_to_treat=["L2"])

    assert response.status_code == 403
    assert client.get(reverse("reviews:review", args=[referral.pk])).status_code == 403
    assert not ReviewDecision.objects.exists()
