"""Demo data: every recommendation and every rule, created once however often it runs."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.demo import seed_demo_users
from eligibility.engine import RULES, Recommendation
from eligibility.models import Evaluation
from patients.demo import demo_patients, seed_demo_patients
from patients.models import Patient, Referral

pytestmark = pytest.mark.django_db


def test_demo_referrals_reach_every_recommendation_and_meet_every_rule():
    seed_demo_users()
    assert seed_demo_patients() == len(demo_patients()) >= 20
    results = list(Evaluation.objects.values_list("result", flat=True))
    met = {
        finding["rule"]
        for result in results
        for level in result["levels"]
        for finding in level["findings"]
        if finding["status"] == "met"
    }
    assert met == {rule.id for rule in RULES}
    latest = set(
        Referral.objects.exclude(recommendation="").values_list("recommendation", flat=True)
    )
    assert latest == {recommendation.value for recommendation in Recommendation}
    assert Referral.objects.filter(status=Referral.Status.DRAFT).count() >= 2
    assert Referral.objects.filter(evaluations__isnull=False).distinct().count() >= 16
    resubmitted = Referral.objects.get(patient__mrn="DEMO-1020")
    assert [e.recommendation for e in resubmitted.evaluations.order_by("id")] == [
        "incomplete",
        "eligible",
    ]


def test_seed_demo_is_idempotent(reason_codes):
    call_command("seed_demo", stdout=StringIO())
    counts = (Patient.objects.count(), Referral.objects.count(), Evaluation.objects.count())
    assert seed_demo_patients() == 0
    call_command("seed_demo", stdout=StringIO())
    assert counts == (
        Patient.objects.count(),
        Referral.objects.count(),
        Evaluation.objects.count(),
    )
