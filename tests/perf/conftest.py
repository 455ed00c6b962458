"""Fixtures of the query-budget tests: many rows at once, written in bulk.

The rows are what the pages read (referrals, levels, evaluations made by the real engine,
decisions, summaries, procedures and follow-ups); they are bulk-inserted because the budgets
are about reading, and 200 referrals through the services would take a minute.
"""

import copy
import datetime as dt
import itertools

import pytest
from django.utils import timezone

from accounts.roles import Role
from tests.factories import ELIGIBLE_CASE, case_with

TODAY = dt.date(2026, 11, 24)
RETROPULSION_LEVEL = {**ELIGIBLE_CASE["levels"][0], "level": "L1", "canal_compromise_pct": 35}
CASES = {
    "eligible": ELIGIBLE_CASE,
    # L1 review (retropulsion), L2 eligible: eligible and flagged.
    "two_levels": case_with(levels=[RETROPULSION_LEVEL, ELIGIBLE_CASE["levels"][0]]),
    "incomplete": case_with(coagulopathy=None),
}


class Rows:
    """Builds the rows of the pages in bulk, a few queries per call whatever the count."""

    def __init__(self, *, physician, radiologist):
        self.physician = physician
        self.radiologist = radiologist
        self._numbers = itertools.count(1)

    def referrals(
        self,
        count: int,
        *,
        status: str = "submitted",
        kind: str = "eligible",
        physician=None,
        assigned=None,
        outcome: str | None = None,
    ) -> list:
        """`count` referrals of one patient each, evaluated by the engine; decided with
        `outcome` ("accept", "decline", "request_information") when given."""
        from eligibility.conf import get_thresholds
        from eligibility.engine import evaluate
        from patients.cases import case_referral_answers
        from patients.models import Patient, Referral, TargetLevel
        from patients.services import default_clinic

        physician = physician or self.physician
        if outcome and assigned is None:
            assigned = self.radiologist  # deciding assigns the referral to the radiologist
        case = copy.deepcopy(CASES[kind])
        result = evaluate(case, today=TODAY, thresholds=get_thresholds())
        answers, levels = case_referral_answers(case)
        clinic = default_clinic()
        now = timezone.now()
        numbers = [next(self._numbers) for _ in range(count)]
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    clinic=clinic,
                    mrn=f"PERF{number:06d}",
                    given_name=f"Given{number}",
                    family_name=f"Family{number}",
                    date_of_birth=dt.date(1946, 3, 14),
                    sex="female",
                    created_by=physician,
                )
                for number in numbers
            ]
        )
        referrals = Referral.objects.bulk_create(
            [
                Referral(
                    patient=patient,
                    physician=physician,
                    status=status,
                    assigned_radiologist=assigned,
                    recommendation=result["recommendation"] if status != "draft" else "",
                    flagged=result["flagged"] if status != "draft" else False,
                    submitted_at=None if status == "draft" else now - dt.timedelta(minutes=n),
                    **answers,
                )
                for n, patient in enumerate(patients)
            ]
        )
        TargetLevel.objects.bulk_create(
            [
                TargetLevel(referral=referral, position=position, **level)
                for referral in referrals
                for position, level in enumerate(levels)
            ]
        )
        if status == "draft":
            return referrals
        evaluations = self.evaluations(referrals, case=case, result=result)
        for referral, evaluation in zip(referrals, evaluations, strict=True):
            referral.latest_evaluation = evaluation
        Referral.objects.bulk_update(referrals, ["latest_evaluation"])
        if outcome:
            self.decisions(evaluations, outcome=outcome)
        return referrals

    def evaluations(self, referrals: list, *, case=None, result=None) -> list:
        """One more evaluation of each referral (the engine's result of its case)."""
        from eligibility.conf import get_thresholds
        from eligibility.engine import evaluate
        from eligibility.models import Evaluation

        case = case or copy.deepcopy(CASES["eligible"])
        result = result or evaluate(case, today=TODAY, thresholds=get_thresholds())
        return Evaluation.objects.bulk_create(
            [
                Evaluation(
                    referral=referral,
                    referral_version=referral.version,
                    ruleset_version=result["ruleset_version"],
                    case=case,
                    result=result,
                    recommendation=result["recommendation"],
                    flagged=result["flagged"],
                    created_by=referral.physician,
                )
                for referral in referrals
            ]
        )

    def decisions(self, evaluations: list, *, outcome: str, by=None) -> list:
        """A decision of the radiologist on each evaluation, agreeing with the engine."""
        from reviews.assessment import level_recommendations
        from reviews.models import ReasonCode, ReviewDecision

        kind = {"decline": "decline", "request_information": "information"}.get(outcome)
        reason = ReasonCode.objects.filter(kind=kind).first() if kind else None
        return ReviewDecision.objects.bulk_create(
            [
                ReviewDecision(
                    referral_id=evaluation.referral_id,
                    evaluation=evaluation,
                    referral_version=evaluation.referral_version,
                    outcome=outcome,
                    levels_to_treat=(
                        [evaluation.case["levels"][0]["level"]] if outcome == "accept" else []
                    ),
                    reason_code=reason,
                    reason_label=reason.label if reason else "",
                    engine_recommendation=evaluation.recommendation,
                    engine_level_recommendations=level_recommendations(evaluation.result),
                    decided_by=by or self.radiologist,
                )
                for evaluation in evaluations
            ]
        )

    def summaries(self, count: int) -> list:
        """`count` ready, unprinted summaries of decided referrals (no file is read)."""
        from reviews.models import ReviewDecision
        from summaries.models import SummaryDocument

        referrals = self.referrals(count, status="accepted", outcome="accept")
        decisions = {
            decision.referral_id: decision
            for decision in ReviewDecision.objects.filter(referral__in=referrals)
        }
        return SummaryDocument.objects.bulk_create(
            [
                SummaryDocument(
                    referral=referral,
                    evaluation_id=referral.latest_evaluation_id,
                    decision=decisions[referral.pk],
                    status=SummaryDocument.Status.READY,
                    file=f"summaries/perf/summary-{referral.pk}.pdf",
                    sha256="0" * 64,
                    requested_by=self.radiologist,
                    rendered_at=timezone.now(),
                )
                for referral in referrals
            ]
        )

    def procedures(self, count: int, *, performed_on: dt.date) -> list:
        """`count` accepted referrals treated on `performed_on`, each with six follow-ups."""
        from outcomes.models import FollowUp, Procedure, TreatedLevel
        from outcomes.schedule import follow_up_schedule
        from reviews.models import ReviewDecision

        referrals = self.referrals(count, status="accepted", outcome="accept")
        decisions = {
            decision.referral_id: decision
            for decision in ReviewDecision.objects.filter(referral__in=referrals)
        }
        procedures = Procedure.objects.bulk_create(
            [
                Procedure(
                    referral=referral,
                    decision=decisions[referral.pk],
                    performed_on=performed_on,
                    guidance="fluoroscopy",
                    anaesthesia="local",
                    admission="outpatient",
                    had_complications=False,
                    baseline_pain_nrs=9,
                    responsible_radiologist=self.radiologist,
                    recorded_by=self.radiologist,
                )
                for referral in referrals
            ]
        )
        TreatedLevel.objects.bulk_create(
            [
                TreatedLevel(
                    procedure=procedure,
                    level="L2",
                    etiology="osteoporosis",
                    cement_volume_ml=3,
                    approach="transpedicular",
                )
                for procedure in procedures
            ]
        )
        FollowUp.objects.bulk_create(
            [
                FollowUp(
                    procedure=procedure,
                    interval=scheduled.interval.key,
                    target_date=scheduled.target_date,
                )
                for procedure in procedures
                for scheduled in follow_up_schedule(performed_on)
            ]
        )
        return procedures


@pytest.fixture
def rows(db, physician, radiologist) -> Rows:
    return Rows(physician=physician, radiologist=radiologist)


@pytest.fixture
def signed_in(client):
    """Sign the test client in as the user (roles come from the user's groups)."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def other_physician(make_user):
    return make_user(Role.PHYSICIAN, username="dr-other")
