"""The summary in two languages: the clinic copy in the clinic's (or the reader's), the patient
copy in the patient's own, and the Italian PDF tagged with its language and title."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from eligibility.engine import RULES_BY_ID
from summaries.content import build_summary
from summaries.models import SummaryDocument
from summaries.services import summary_to_pdf

from .conftest import pdf_pages

pytestmark = pytest.mark.django_db


def _stored_pdf(referral) -> bytes:
    document = SummaryDocument.objects.get(referral=referral)
    assert document.status == SummaryDocument.Status.READY, document.error
    with document.file.open("rb") as stored:
        return stored.read()


def _split(pages: list[str]) -> tuple[str, str]:
    first = next(i for i, text in enumerate(pages) if "Copia per il paziente" in text)
    return " ".join(pages[:first]), " ".join(pages[first:])


def test_a_patient_who_prefers_italian_gets_an_italian_copy_from_an_english_clinic(
    submitted_referral, decide, django_capture_on_commit_callbacks, settings
):
    settings.VPSELECT_CLINIC_LANGUAGE = "en"
    referral = submitted_referral(preferred_language="it")
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            referral,
            outcome="decline",
            reason="contraindication-present",
            override_reason="clinical-judgement",
            comment="Seen in clinic.",
        )
    clinic_text, patient_text = _split(pdf_pages(_stored_pdf(referral)))

    assert "Referral summary · Clinic copy" in clinic_text
    assert "Severe painful Osteoporosis" in clinic_text
    assert "Osteoporosi severa dolorosa" not in clinic_text
    assert "In questo momento la vertebroplastica non è il trattamento adatto a Lei" in (
        patient_text
    )
    assert "Motivo: È presente una controindicazione alla vertebroplastica" in patient_text
    assert "anestesia locale" in patient_text and "da 2 a 4 ml" in patient_text
    for english in ("What was decided", "About vertebroplasty", "Reason:", "Patient copy"):
        assert english not in patient_text
    # The running header and footer of the patient copy's pages are the patient's too.
    for english in ("born", "Generated", "Page "):
        assert english not in patient_text
    assert "nato/a il" in patient_text and "Generato il" in patient_text
    assert "Pagina " in patient_text and " di " in patient_text
    assert "Page 1 of" in clinic_text and "Pagina" not in clinic_text
    for rule_id in RULES_BY_ID:
        assert rule_id not in patient_text


def test_an_english_patient_of_an_italian_clinic_gets_an_english_copy(
    submitted_referral, decide, django_capture_on_commit_callbacks, settings
):
    settings.VPSELECT_CLINIC_LANGUAGE = "it"
    referral = submitted_referral(preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral)
    pages = pdf_pages(_stored_pdf(referral))
    first = next(i for i, text in enumerate(pages) if "Patient copy" in text)
    clinic_text, patient_text = " ".join(pages[:first]), " ".join(pages[first:])

    assert "Osteoporosi severa dolorosa" in clinic_text
    assert "Severe painful Osteoporosis" in clinic_text  # the seed's wording beside it
    assert "You have been accepted for vertebroplasty" in patient_text
    assert "La vertebroplastica" not in patient_text


def test_the_italian_pdf_renders_with_italian_findings_language_and_title(
    submitted_referral, decide
):
    referral = submitted_referral(preferred_language="it")
    decision = decide(referral)
    with translation.override("it"):
        summary = build_summary(
            referral=referral, evaluation=decision.evaluation, decision=decision
        )
        pdf = summary_to_pdf(summary)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())

    assert reader.trailer["/Root"]["/Lang"] == "it"
    assert reader.metadata.title == f"Riepilogo della richiesta di valutazione n. {referral.pk}"
    # L1's retropulsed fragment: the relative contraindication, in Italian, with its numbers
    # and the seed's English wording beside it.
    assert "Frammento retropulso con compromissione del canale vertebrale > 20%" in text
    assert "Retropulsed fragment with > 20% spinal canal compromise" in text
    assert "Compromissione del canale vertebrale 35% superiore a 20%" in text
    assert "La Sua richiesta di vertebroplastica è stata accettata" in text


def test_the_print_page_marks_the_patient_copy_with_the_patients_language(
    submitted_referral, decide, client, physician
):
    referral = submitted_referral(preferred_language="it")
    decide(referral)
    client.force_login(physician)
    page = client.get(reverse("summaries:referral-summary", args=[referral.pk])).content.decode()
    patient_copy = page[page.index('data-testid="patient-copy"') - 200 :]

    assert 'lang="it"' in patient_copy[:400]
    assert "Che cosa è stato deciso" in patient_copy
    assert "Referral summary · Clinic copy" in page
