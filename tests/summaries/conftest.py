"""Referrals decided through the real review services, and PDF text helpers."""

import io

import pytest
from pypdf import PdfReader

from tests.factories import case_with, make_patient, make_referral, record_decision

LEVEL_T12 = {
    "level": "T12",
    "etiology": "osteoporosis",
    "pain_nrs": 9,
    "fracture": True,
    "fracture_date": "2026-10-02",
    "imaging_acute": True,
    "high_fracture_risk": None,
    "osteomyelitis": False,
    "canal_compromise_pct": 5,
    "epidural_extension": None,
}
# A retropulsed fragment: the relative contraindication sends the level to review.
LEVEL_L1 = {**LEVEL_T12, "level": "L1", "pain_nrs": 8, "canal_compromise_pct": 35}
LEVEL_L2 = {
    **LEVEL_T12,
    "level": "L2",
    "etiology": "metastasis",
    "pain_nrs": 6,
    "high_fracture_risk": True,
    "canal_compromise_pct": 10,
    "epidural_extension": False,
}
THREE_LEVEL_CASE = case_with(levels=[LEVEL_T12, LEVEL_L1, LEVEL_L2])


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """PDFs of a test go to its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def stub_pdf_bytes() -> bytes:
    from summaries.pdf import html_to_pdf

    return html_to_pdf("<p>A stand-in summary.</p>")


@pytest.fixture
def stub_pdf(monkeypatch, stub_pdf_bytes):
    """Skip WeasyPrint where a test is about queues and permissions, not the PDF's content."""
    from summaries import services

    monkeypatch.setattr(services, "html_to_pdf", lambda html: stub_pdf_bytes)


@pytest.fixture
def eager_retries():
    """Run a task's retries in-process (Celery only does so when eager errors do not propagate)."""
    from vpselect.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


@pytest.fixture
def submitted_referral(physician):
    """A submitted three-level referral (T12 eligible, L1 review, L2 eligible)."""

    def make(*, physician=physician, case=THREE_LEVEL_CASE, **patient_fields):
        patient = make_patient(by=physician, **patient_fields)
        return make_referral(physician=physician, patient=patient, case=case, submit=True)

    return make


@pytest.fixture
def decide(radiologist, reason_codes):
    """Record a decision through the review services, as the radiologist by default."""
    from reviews.models import ReasonCode

    def record(
        referral,
        *,
        outcome="accept",
        levels=("T12", "L2"),
        by=None,
        reason=None,
        override_reason=None,
        comment="",
        supersedes=None,
    ):
        return record_decision(
            referral,
            by=by or radiologist,
            claim=supersedes is None,
            outcome=outcome,
            levels_to_treat=levels if outcome == "accept" else (),
            reason_code=ReasonCode.objects.get(code=reason) if reason else None,
            comment=comment,
            override_reason=(
                ReasonCode.objects.get(code=override_reason) if override_reason else None
            ),
            supersedes=supersedes,
        )

    return record


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, whitespace collapsed (table cells wrap lines)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]
