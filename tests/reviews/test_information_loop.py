import pytest
from django.core import mail
from django.urls import reverse

from eligibility.models import Evaluation
from patients.models import Referral
from patients.services import LevelAnswers, referral_save_and_submit
from patients.signals import physician_page_context
from reviews.models import Notification, NotificationKind, ReasonCode
from reviews.receivers import physician_page_decisions
from reviews.services import referral_claim
from tests.factories import record_decision

pytestmark = pytest.mark.django_db


def test_information_request_goes_to_the_physician_and_the_resubmission_comes_back(
    client,
    physician,
    radiologist,
    radiologist2,
    submitted,
    django_capture_on_commit_callbacks,
):
    referral = submitted("incomplete")
    assert referral.recommendation == "incomplete"
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()
    mail.outbox.clear()  # the submission's e-mails to the radiologists
    client.force_login(radiologist)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("reviews:decide", args=[referral.pk]),
            {
                "expected_version": referral.version,
                "outcome": "request_information",
                "information_reason": ReasonCode.objects.get(code="needs-coagulation").pk,
                "comment": "Is there a known coagulation disorder?",
            },
        )

    referral.refresh_from_db()
    assert referral.status == Referral.Status.INFORMATION_REQUESTED
    assert [m.to for m in mail.outbox] == [[physician.email]]
    assert "information requested" in mail.outbox[0].subject
    client.force_login(physician)
    notes = client.get(reverse("reviews:notifications")).content.decode()
    assert "asks for more information" in notes and "Please send INR and platelet count" in notes
    # The referrer reads the coded reason in plain language and the question on the referral.
    detail = client.get(reverse("patients:referral-detail", args=[referral.pk])).content.decode()
    assert "More information requested" in detail
    assert "Please send INR and platelet count" in detail
    assert "Is there a known coagulation disorder?" in detail and "submit it again" in detail
    my_referrals = client.get(reverse("patients:referral-list")).content.decode()
    assert "More information requested</strong>: Please send INR and platelet count" in my_referrals

    # The physician answers and resubmits through the intake service.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referral_save_and_submit(
            patient=referral.patient,
            referral=referral,
            by=physician,
            answers={"coagulopathy": False},
            levels=[LevelAnswers(id=level.pk, answers={}) for level in referral.levels.all()],
            today=referral.latest_evaluation.created_at.date(),
        )

    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    assert referral.recommendation == "eligible"
    assert Evaluation.objects.filter(referral=referral).count() == 2
    # Only the radiologist who asked is told.
    assert [m.to for m in mail.outbox] == [[radiologist.email]]
    assert Notification.objects.filter(
        kind=NotificationKind.REFERRAL_RESUBMITTED, recipient=radiologist
    ).exists()
    assert not Notification.objects.filter(
        kind=NotificationKind.REFERRAL_RESUBMITTED, recipient=radiologist2
    ).exists()

    client.force_login(radiologist)
    worklist = client.get(reverse("reviews:worklist"))
    assert referral.pk in [row["pk"] for row in worklist.context["rows"]]
    page = client.get(reverse("reviews:review", args=[referral.pk])).content.decode()
    assert "Coagulopathy or anticoagulant / antiplatelet drug: Unknown → No" in page

    response = client.post(
        reverse("reviews:decide", args=[referral.pk]),
        {"expected_version": referral.version, "outcome": "accept", "levels_to_treat": ["L2"]},
    )

    referral.refresh_from_db()
    assert response.status_code == 302
    assert referral.status == Referral.Status.ACCEPTED
    decision = referral.review_decisions.order_by("-decided_at").first()
    assert decision.evaluation == referral.latest_evaluation and not decision.is_override
    client.force_login(physician)
    detail = client.get(reverse("patients:referral-detail", args=[referral.pk])).content.decode()
    assert "Accepted for vertebroplasty</strong>: L2." in detail


def test_the_physicians_pages_get_the_decisions_from_the_review_app_by_signal(
    client, physician, radiologist, submitted
):
    """patients does not import reviews: its pages ask by `physician_page_context`, and with
    the review app's receiver disconnected they still render, without its decisions."""
    referral = submitted("eligible")
    record_decision(referral, by=radiologist, outcome="accept", levels_to_treat=["L2"])
    client.force_login(physician)
    pages = [
        reverse("patients:referral-list"),
        reverse("patients:referral-detail", args=[referral.pk]),
    ]

    connected = [client.get(url).content.decode() for url in pages]
    assert all(
        'data-testid="referral-decision' in page or "recent-decision" in page for page in connected
    )

    assert physician_page_context.disconnect(dispatch_uid="reviews.physician_page_context")
    try:
        alone = [client.get(url) for url in pages]
    finally:
        physician_page_context.connect(
            physician_page_decisions, dispatch_uid="reviews.physician_page_context"
        )
    assert [response.status_code for response in alone] == [200, 200]
    assert "recent-decision" not in alone[0].content.decode()
    assert 'data-testid="referral-decision"' not in alone[1].content.decode()
