"""The demo's treated patients: a first run shows invitations, answers and the chase list."""

import pytest
from django.db.models.signals import pre_save
from django.utils import timezone

from accounts.demo import seed_demo_users
from outcomes import selectors
from outcomes.demo import seed_demo_outcomes
from outcomes.models import PatientReport, QuestionnaireInvitation
from reviews.models import ReviewDecision

pytestmark = pytest.mark.django_db


def test_demo_shows_invitations_answers_a_needed_call_and_the_chase_list_once():
    seed_demo_users()

    created = seed_demo_outcomes()

    assert created == 5
    assert QuestionnaireInvitation.objects.count() == 4  # one patient gave no consent
    assert PatientReport.objects.count() == 2
    assert PatientReport.objects.filter(needs_call=True, follow_up__needs_call=True).count() == 1
    assert (
        QuestionnaireInvitation.objects.filter(
            reminded_2_days_at__isnull=False, answered_at__isnull=True
        ).count()
        == 2
    )
    assert selectors.chase_list().count() == 1
    assert seed_demo_outcomes() == 0  # run again: nothing new


def test_demo_dates_only_its_own_decisions_in_the_past():
    seed_demo_users()
    listening_before = pre_save.has_listeners(ReviewDecision)
    seed_demo_outcomes()

    assert pre_save.has_listeners(ReviewDecision) == listening_before  # disconnected again
    assert all(
        decision.decided_at.date() < timezone.localdate()
        for decision in ReviewDecision.objects.all()
    )
