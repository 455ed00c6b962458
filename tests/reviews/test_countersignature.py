"""The countersignature page: a second radiologist reads an override of an absolute
contraindication in words, then confirms or refuses with a reason."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from accounts.roles import Role
from audit.models import AuditEvent
from eligibility.engine import RULES_BY_ID
from patients.models import Referral
from reviews import services
from reviews.models import (
    Countersignature,
    CountersignatureRefusal,
    Notification,
    NotificationKind,
    ReviewDecision,
)
from tests.reviews.conftest import accept_over_infection

pytestmark = pytest.mark.django_db

INFECTION = RULES_BY_ID["CI-INFECTION"].text


@pytest.fixture
def pending(submitted, radiologist, django_capture_on_commit_callbacks):
    """An acceptance over an infection, waiting for a second radiologist."""
    with django_capture_on_commit_callbacks(execute=True):
        decision = accept_over_infection(submitted("not_eligible"), radiologist, claim=True)
    mail.outbox.clear()
    return decision


def page_url(decision) -> str:
    return reverse("reviews:countersign", args=[decision.pk])


def refuse_url(decision) -> str:
    return reverse("reviews:countersign-refuse", args=[decision.pk])


def test_the_page_shows_the_overridden_rules_in_words_and_the_deciders_reason(
    client, radiologist2, pending
):
    client.force_login(radiologist2)

    response = client.get(page_url(pending))

    html = response.content.decode()
    assert response.status_code == 200
    rules = html.split('data-testid="countersign-rules"', 1)[1].split("</ul>", 1)[0]
    assert escape(INFECTION) in rules and "CI-INFECTION" not in html
    assert "Absolute contraindication" in rules
    assert pending.override_reason_label in html and "Infection treated." in html
    assert 'data-testid="countersign-form"' in html and 'data-testid="refuse-form"' in html
    assert AuditEvent.objects.filter(object_id=str(pending.pk)).exists()


def test_confirming_makes_the_acceptance_take_effect(client, radiologist2, pending):
    client.force_login(radiologist2)

    response = client.post(page_url(pending), {"comment": "Agreed after reading the MRI."})

    assert response.status_code == 302
    assert Countersignature.objects.get().signed_by == radiologist2
    assert Referral.objects.get(pk=pending.referral_id).status == Referral.Status.ACCEPTED


def test_refusing_sends_the_decision_back_to_the_deciding_radiologist(
    client, radiologist, radiologist2, pending, django_capture_on_commit_callbacks
):
    client.force_login(radiologist2)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refuse_url(pending), {"reason": "The infection is not treated."})

    assert response.status_code == 302
    refusal = CountersignatureRefusal.objects.get()
    assert (refusal.decision, refusal.refused_by) == (pending, radiologist2)
    referral = Referral.objects.get(pk=pending.referral_id)
    assert referral.status == Referral.Status.UNDER_REVIEW
    assert referral.assigned_radiologist == radiologist
    assert not Countersignature.objects.exists()
    notice = Notification.objects.get(kind=NotificationKind.COUNTERSIGNATURE_REFUSED)
    assert notice.recipient == radiologist
    assert [m.to for m in mail.outbox] == [[radiologist.email]]
    assert "The infection" not in mail.outbox[0].body  # no clinical text in e-mail
    assert AuditEvent.objects.filter(
        object_id=str(pending.pk), method="POST", action=AuditEvent.Action.CHANGE
    ).exists()
    # The decider reads the reason on the review page and corrects the decision there.
    client.force_login(radiologist)
    review = client.get(reverse("reviews:review", args=[pending.referral_id]))
    html = review.content.decode()
    assert "The infection is not treated." in html
    assert review.context["correction_form"] is not None
    # Nobody can countersign a refused decision any more.
    client.force_login(radiologist2)
    again = client.post(page_url(pending))
    assert again.status_code == 400 and not Countersignature.objects.exists()


def test_the_refused_referral_shows_as_refused_on_the_worklist(
    client, radiologist2, pending, radiologist
):
    services.decision_countersign_refuse(decision=pending, by=radiologist2, reason="No.")
    client.force_login(radiologist)

    response = client.post(
        reverse("reviews:worklist"), {"status": "countersignature_refused"}, follow=True
    )

    rows = response.context["rows"]
    assert [row["pk"] for row in rows] == [pending.referral_id]
    assert rows[0]["countersignature_refused"] and not rows[0]["pending_countersignature"]


def test_a_refusal_needs_a_reason_and_saves_nothing_without_one(client, radiologist2, pending):
    client.force_login(radiologist2)

    response = client.post(refuse_url(pending), {"reason": "   "})

    assert response.status_code == 400
    assert str(services.REFUSAL_REASON_REQUIRED) in response.content.decode()
    assert "reason" in response.context["refusal_form"].errors
    assert not CountersignatureRefusal.objects.exists()


def test_the_decision_once_corrected_after_a_refusal_can_be_decided_again(
    client, radiologist, radiologist2, pending
):
    from tests.reviews.test_decisions import code

    services.decision_countersign_refuse(decision=pending, by=radiologist2, reason="No.")
    referral = Referral.objects.get(pk=pending.referral_id)

    correction = services.decision_record(
        referral=referral,
        by=radiologist,
        expected_version=referral.version,
        outcome="decline",
        reason_code=code("contraindication-present"),
        supersedes=pending,
    )

    assert correction.takes_effect
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DECLINED
    assert ReviewDecision.objects.awaiting_countersignature().count() == 0


@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.STAFF])
def test_only_a_radiologist_opens_or_answers_the_page(client, make_user, pending, role):
    client.force_login(make_user(role))

    assert client.get(page_url(pending)).status_code == 403
    assert client.post(page_url(pending)).status_code == 403
    assert client.post(refuse_url(pending), {"reason": "No."}).status_code == 403
    assert not Countersignature.objects.exists()
    assert not CountersignatureRefusal.objects.exists()


def test_the_countersignature_notification_opens_the_countersignature_page(
    client, radiologist2, pending
):
    notice = Notification.objects.get(
        kind=NotificationKind.COUNTERSIGNATURE_NEEDED, recipient=radiologist2
    )
    client.force_login(radiologist2)

    response = client.post(reverse("reviews:notification-open", args=[notice.pk]))

    assert response["Location"] == page_url(pending)
