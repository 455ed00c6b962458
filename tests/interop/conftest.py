"""Fixtures of the EHR connection tests: referrals made from the clinical examples, the CDS
Hooks requests of fixtures/, and a configured bearer token."""

import copy
import json
from datetime import date

import pytest

from .support import TOKEN, hook_request


@pytest.fixture
def make_referral(db):
    """A referral whose answers are an example case, optionally evaluated."""
    from patients.cases import case_referral_answers
    from patients.models import Referral, TargetLevel
    from patients.services import patient_create

    counter = iter(range(1, 10_000))

    def make(physician, case: dict, *, evaluate: bool = False, status=None) -> Referral:
        patient = patient_create(
            by=physician,
            mrn=f"MRN-{next(counter):05d}",
            given_name="Ada",
            family_name="Lovelace",
            date_of_birth=date.fromisoformat(case["patient"]["date_of_birth"]),
            sex=case["patient"]["sex"],
        )
        referral_answers, level_answers = case_referral_answers(case)
        referral = Referral.objects.create(patient=patient, physician=physician, **referral_answers)
        for position, answers in enumerate(level_answers):
            TargetLevel.objects.create(referral=referral, position=position, **answers)
        if evaluate:
            from eligibility.services import evaluation_create
            from patients.cases import referral_case

            today = date.fromisoformat(case["assessed_on"])
            evaluation_create(
                referral=referral,
                case=referral_case(referral, assessed_on=today),
                by=physician,
                today=today,
            )
        if status is not None:
            Referral.objects.filter(pk=referral.pk).update(status=status)
        referral.refresh_from_db()
        return referral

    return make


@pytest.fixture
def cds_token(settings) -> str:
    settings.VPSELECT_CDS_HOOKS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def hook_body():
    from django.utils import timezone

    def load(name: str) -> dict:
        return copy.deepcopy(hook_request(name, today=timezone.localdate()))

    return load


@pytest.fixture
def post_hook(client, cds_token):
    """POST a body (dict, or raw bytes/str) to the CDS service with the bearer token."""
    from django.urls import reverse

    def post(body, *, token: str | None = cds_token, path: str | None = None):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return client.post(
            path or reverse("interop:cds-service"),
            data=data,
            content_type="application/json",
            headers=headers,
        )

    return post
