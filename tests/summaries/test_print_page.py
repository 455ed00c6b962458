"""The print page: what the summary says for each kind of decision, and how it prints."""

import pytest
from django.urls import reverse

from summaries.models import SummaryDocument
from tests.factories import case_with

from .conftest import LEVEL_T12

pytestmark = pytest.mark.django_db


def _page(client, referral) -> str:
    response = client.get(reverse("summaries:referral-summary", args=[referral.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _patient_copy(page: str) -> str:
    return page[page.index('data-testid="patient-copy"') :]


def test_an_undecided_incomplete_referral_lists_its_missing_answers(
    client, submitted_referral, radiologist
):
    incomplete = case_with(
        coagulopathy=None, levels=[{**LEVEL_T12, "imaging_acute": False, "fracture_date": None}]
    )
    referral = submitted_referral(case=incomplete)
    client.force_login(radiologist)
    page = _page(client, referral)
    assert "Incomplete" in page
    assert "<li>Coagulopathy</li>" in page
    assert "<li>T12: Fracture date</li>" in page
    assert "No decision yet" in page
    assert "Your referral is waiting for review" in _patient_copy(page)


def test_a_level_shows_the_answers_that_decided_it(client, submitted_referral, radiologist):
    referral = submitted_referral(case=case_with(levels=[LEVEL_T12]))
    client.force_login(radiologist)
    page = _page(client, referral)
    level = page[page.index('data-testid="level"') : page.index("vs-missing-title")]
    for label, value in [
        ("Etiology", "Osteoporosis"),
        ("Pain NRS", "9 / 10"),
        ("Fracture status", "Yes"),
    ]:
        assert f'<th scope="row">{label}</th><td>{value}</td>' in level
    assert "Epidural extension" not in level
    # A follow-up question that does not apply is not shown as unknown.
    assert "Whether the coagulopathy is corrected</th><td>Not applicable</td>" in page


def test_a_decline_tells_the_patient_the_coded_reason_but_not_the_comment(
    client, submitted_referral, decide, radiologist
):
    infected = case_with(systemic_infection=True)
    referral = submitted_referral(case=infected)
    decide(
        referral,
        outcome="decline",
        reason="contraindication-present",
        comment="Internal: CRP 80 last week.",
    )
    client.force_login(radiologist)
    page = _page(client, referral)
    patient_copy = _patient_copy(page)
    assert "Decline" in page
    assert "Internal: CRP 80 last week." in page[: page.index('data-testid="patient-copy"')]
    assert "Vertebroplasty is not the right treatment for you at this time" in patient_copy
    assert "Reason: A contraindication to vertebroplasty is present" in patient_copy
    assert "CRP 80" not in patient_copy
    assert "CI-INFECTION" not in patient_copy


def test_an_information_request_tells_the_patient_what_is_needed(
    client, submitted_referral, decide, radiologist
):
    referral = submitted_referral()
    decide(referral, outcome="request_information", reason="needs-mri-stir")
    client.force_login(radiologist)
    patient_copy = _patient_copy(_page(client, referral))
    assert "The specialist needs more information" in patient_copy
    assert "Reason: Please send an MRI with STIR sequence" in patient_copy


def test_the_print_page_is_the_summary_with_its_actions_hidden_when_printed(
    client, submitted_referral, decide, clinic_staff, django_capture_on_commit_callbacks
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral)
    document = SummaryDocument.objects.get(referral=referral)
    client.force_login(clinic_staff)
    page = client.get(document.get_absolute_url()).content.decode()
    assert "css/summary-print.css" in page
    assert 'media="print"' in page  # the site's print stylesheet drops the navigation
    assert '<nav class="d-print-none mb-3" aria-label="Summary actions">' in page
    assert "Mark printed" in page
    assert "vs-patient-copy" in page


def test_the_status_panel_polls_only_while_the_pdf_is_being_made(
    client, submitted_referral, decide, radiologist, django_capture_on_commit_callbacks
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=False):
        decide(referral)
    document = SummaryDocument.objects.get(referral=referral)
    client.force_login(radiologist)
    status_url = reverse("summaries:status", args=[document.pk])
    pending = client.get(status_url).content.decode()
    assert f'hx-get="{status_url}"' in pending
    assert 'aria-live="polite"' in pending

    SummaryDocument.objects.filter(pk=document.pk).update(status=SummaryDocument.Status.FAILED)
    failed = client.get(status_url).content.decode()
    assert "hx-get" not in failed
    assert "could not be made" in failed
