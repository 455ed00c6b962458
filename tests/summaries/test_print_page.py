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
    assert "<li>Coagulopathy or anticoagulant / antiplatelet drug</li>" in page
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
        ("Pain (NRS 0–10)", "9"),
        ("Fracture or collapse", "Yes"),
    ]:
        assert f'<th scope="row">{label}</th><td>{value}</td>' in level
    assert "Epidural extension" not in level
    # A follow-up question that does not apply is not shown as unknown.
    assert "Coagulopathy corrected for the procedure</th><td>Not applicable</td>" in page


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


# --- What the page costs ------------------------------------------------------------------


def _print_page_queries(client, referral, django_assert_max_num_queries, budget=30):
    url = reverse("summaries:referral-summary", args=[referral.pk])
    client.get(url)  # the session's first request stamps it: not part of the page's cost
    with django_assert_max_num_queries(budget) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries], response.content.decode()


def test_the_print_page_loads_the_evaluation_and_procedure_with_the_referral(
    client,
    submitted_referral,
    decide,
    clinic_staff,
    stub_pdf,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral)
    client.force_login(clinic_staff)

    queries, page = _print_page_queries(client, referral, django_assert_max_num_queries)

    # 4 are the middleware's (session, user, roles, audit event); then the referral with its
    # patient, physician, latest evaluation and procedure (none), its decision, the governed
    # ruleset version of the evaluation (none here: no approvals to read), its PDFs, and its
    # information requests, answers and attachments for the clinic copy's thread.
    assert len(queries) == 11, "\n".join(queries)
    assert not any(q.startswith("SELECT") and 'FROM "eligibility_evaluation"' in q for q in queries)
    assert not any('FROM "outcomes_procedure"' in q for q in queries)
    assert "Procedure and outcome" not in page
    assert f'href="/summaries/{SummaryDocument.objects.get(referral=referral).pk}/"' in page


def test_the_print_page_queries_do_not_grow_with_levels_and_pdfs(
    client,
    submitted_referral,
    decide,
    clinic_staff,
    stub_pdf,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    one_level = submitted_referral(case=case_with(levels=[LEVEL_T12]))
    with django_capture_on_commit_callbacks(execute=True):
        decide(one_level, levels=("T12",))
    three_levels = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decide(three_levels)
    client.force_login(clinic_staff)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("summaries:generate", args=[three_levels.pk]), {"regenerate": "1"})

    at_one, _ = _print_page_queries(client, one_level, django_assert_max_num_queries)
    at_three, page = _print_page_queries(client, three_levels, django_assert_max_num_queries)

    assert page.count('data-testid="level"') == 3
    assert page.count('href="/summaries/') >= 4
    assert len(at_three) == len(at_one)


def test_the_print_page_still_shows_a_recorded_procedure(
    client, submitted_referral, decide, radiologist, stub_pdf, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from outcomes.services import TreatedLevelInput, procedure_record

    referral = submitted_referral()
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(referral)
    procedure_record(
        referral=referral,
        by=radiologist,
        performed_on=decision.decided_at.date(),
        levels=[TreatedLevelInput("T12", Decimal("3.0"), "transpedicular")],
        guidance="both",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=decision.decided_at.date(),
    )
    client.force_login(radiologist)

    page = _page(client, referral)

    assert "Procedure and outcome" in page
    assert "CT and fluoroscopy · Local" in page


def test_not_met_criteria_are_one_escaped_line_per_level_and_one_for_the_patient(
    client, submitted_referral, radiologist
):
    from summaries.content import PATIENT_RULES

    referral = submitted_referral()
    client.force_login(radiologist)

    page = _page(client, referral)

    result = referral.latest_evaluation.result
    l1 = next(level for level in result["levels"] if level["level"] == "L1")
    own = [f for f in l1["findings"] if f["status"] == "not_met" and f["rule"] not in PATIENT_RULES]
    line = " · ".join(f"{f['text']} ({f['rule']}): {f['reason']}" for f in own)
    html_line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html_line = html_line.replace("'", "&#x27;").replace('"', "&quot;")
    assert f'<span class="vs-not-met-title">Checked, not met:</span> {html_line}</p>' in page
    patient = [f for f in l1["findings"] if f["status"] == "not_met" and f["rule"] in PATIENT_RULES]
    assert patient
    assert f"{patient[0]['text']} ({patient[0]['rule']}): " in page
    assert page.count("Checked for every level, not met:") == 1


def test_the_summary_opens_with_the_verdict_and_its_deciding_finding(
    client, submitted_referral, radiologist
):
    referral = submitted_referral(case=case_with(systemic_infection=True))
    client.force_login(radiologist)
    page = _page(client, referral)
    verdict = page[page.index('data-testid="summary-verdict"') : page.index("vs-patient-title")]
    assert page.index('data-testid="summary-verdict"') < page.index('data-testid="level"')
    assert "Engine recommends: not eligible" in verdict
    first = verdict[verdict.index("<li") :]
    assert first.startswith('<li class="vs-tone-danger" data-rule="CI-INFECTION"')
    assert "Absolute contraindication" in first and "Systemic infection." in first
    assert "other rules checked, not deciding: listed by level below." in verdict
