"""Issue 17, finding 10: a signed decision keeps the reason wording it was signed with."""

import pytest
from django.urls import reverse

from reviews.models import ReasonCode, ReviewDecision
from summaries.content import _decision_summary
from tests.factories import record_decision

from .conftest import accept_over_infection

pytestmark = pytest.mark.django_db

NEW_WORDING = "Renamed later by an administrator"


def _rename(code: ReasonCode) -> str:
    old = code.label
    code.label = NEW_WORDING
    code.save()
    return old


def test_renaming_a_reason_code_does_not_change_what_a_signed_decline_says(
    client, radiologist, physician, submitted
):
    referral = submitted("not_eligible")
    reason = ReasonCode.objects.filter(kind="decline", active=True).first()
    record_decision(referral, by=radiologist, claim=True, outcome="decline", reason_code=reason)
    signed_wording = _rename(reason)

    decision = ReviewDecision.objects.get()
    assert decision.reason_label == signed_wording
    client.force_login(radiologist)
    page = client.get(reverse("reviews:review", args=[referral.pk])).content.decode()
    shown = page.split('data-testid="decision"')[1].split("</article>")[0]
    assert f"Reason: {signed_wording}" in shown
    assert str(NEW_WORDING) not in shown
    assert _decision_summary(decision).reason == signed_wording  # the printed summary


def test_renaming_an_override_reason_does_not_change_a_signed_override(radiologist, submitted):
    decision = accept_over_infection(submitted("not_eligible"), radiologist, claim=True)
    signed_wording = _rename(decision.override_reason)

    decision = ReviewDecision.objects.get(pk=decision.pk)
    assert decision.override_reason_label == signed_wording
    assert _decision_summary(decision).override_reason == signed_wording


def test_every_change_of_a_reason_code_is_kept_in_its_history():
    reason = ReasonCode.objects.filter(kind="decline").first()
    first = _rename(reason)
    reason.label = "Third wording"
    reason.save()
    labels = list(reason.history.order_by("history_id").values_list("label", flat=True))
    assert labels[-2:] == [NEW_WORDING, "Third wording"]
    assert first not in labels[-2:]
