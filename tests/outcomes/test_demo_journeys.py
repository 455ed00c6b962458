"""The demo journeys: every outcomes screen and the countersignature have something in them."""

from io import StringIO

import pytest
from django.core.management import call_command

from outcomes.models import FollowUp, FollowUpStatus, Procedure
from patients.models import Referral
from reviews.models import ReviewDecision

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(reason_codes):
    call_command("seed_demo", stdout=StringIO())


JOURNEYS = [f"DEMO-{n}" for n in range(1021, 1028)]


def test_demo_has_treated_patients_with_months_of_pain_scores(seeded):
    treated = Procedure.objects.filter(referral__patient__mrn__in=JOURNEYS)
    assert sorted(treated.values_list("referral__patient__mrn", flat=True)) == [
        "DEMO-1021",
        "DEMO-1022",
        "DEMO-1023",
    ]
    longest = FollowUp.objects.filter(
        procedure__referral__patient__mrn="DEMO-1021", status=FollowUpStatus.COMPLETED
    )
    assert list(longest.order_by("target_date").values_list("pain_nrs", flat=True)) == [
        4,
        3,
        2,
        2,
        1,
    ]


def test_demo_has_follow_ups_due_and_overdue(seeded):
    follow_ups = FollowUp.objects.filter(procedure__referral__patient__mrn__in=JOURNEYS)
    waiting = follow_ups.filter(status__in=[FollowUpStatus.DUE, FollowUpStatus.OVERDUE])
    assert sorted(
        waiting.values_list("procedure__referral__patient__mrn", "interval", "status")
    ) == [
        ("DEMO-1022", "month_3", FollowUpStatus.OVERDUE),
        ("DEMO-1023", "week_1", FollowUpStatus.DUE),
    ]


def test_demo_has_a_decision_waiting_for_a_countersignature_and_each_outcome(seeded):
    pending = ReviewDecision.objects.current().get(
        requires_countersignature=True, referral__patient__mrn__in=JOURNEYS
    )
    assert pending.referral.patient.mrn == "DEMO-1025"
    assert pending.referral.status == Referral.Status.UNDER_REVIEW
    assert not pending.is_countersigned
    statuses = dict(Referral.objects.values_list("patient__mrn", "status"))
    assert statuses["DEMO-1024"] == Referral.Status.ACCEPTED  # awaiting its procedure
    assert statuses["DEMO-1026"] == Referral.Status.DECLINED
    assert statuses["DEMO-1027"] == Referral.Status.INFORMATION_REQUESTED


def test_seeding_the_demo_twice_adds_no_decision_procedure_or_follow_up(seeded):
    counts = (ReviewDecision.objects.count(), Procedure.objects.count(), FollowUp.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert counts == (
        ReviewDecision.objects.count(),
        Procedure.objects.count(),
        FollowUp.objects.count(),
    )


def test_journeys_are_submitted_evaluated_and_decided_on_their_own_past_dates(seeded):
    from datetime import timedelta

    from django.utils import timezone

    referral = Referral.objects.get(patient__mrn="DEMO-1021")
    submitted_on = timezone.localdate() - timedelta(days=214)
    assert timezone.localdate(referral.submitted_at) == submitted_on
    assert timezone.localdate(referral.latest_evaluation.created_at) == submitted_on
    decision = ReviewDecision.objects.get(referral=referral)
    assert timezone.localdate(decision.decided_at) == submitted_on + timedelta(days=1)
