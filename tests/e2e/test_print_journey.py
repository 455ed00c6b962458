"""Clinic staff open the print queue, check a summary, download its PDF and mark it printed."""

import re
import subprocess

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.roles import Role
from summaries.models import SummaryDocument
from tests.e2e.conftest import publish_docs_image
from tests.factories import case_with, make_patient, make_referral, record_decision

# Sequences restart so that the picture in the README shows summary #1.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, reset_sequences=True)]

T12 = {
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
L1 = {**T12, "level": "L1", "pain_nrs": 8, "canal_compromise_pct": 35}
L2 = {
    **T12,
    "level": "L2",
    "etiology": "metastasis",
    "pain_nrs": 6,
    "high_fracture_risk": True,
    "epidural_extension": False,
}


@pytest.fixture(autouse=True)
def in_process_pdfs(settings, tmp_path):
    """PDFs are rendered in-process, into this test's own media directory."""
    from vpselect.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


def test_staff_open_the_print_queue_check_a_summary_and_mark_it_printed(
    page, live_server, login, make_user, artifacts_dir
):
    physician = make_user(Role.PHYSICIAN, first_name="Paula", last_name="Moreau")
    radiologist = make_user(Role.RADIOLOGIST, first_name="Rita", last_name="Deramond")
    staff = make_user(Role.STAFF, username="staff-okafor", first_name="Sam", last_name="Okafor")
    # Invented patient.
    patient = make_patient(by=physician, given_name="Jeanne", family_name="Lefèvre", mrn="40388")
    referral = make_referral(
        physician=physician, patient=patient, case=case_with(levels=[T12, L1, L2]), submit=True
    )
    record_decision(
        referral,
        by=radiologist,
        claim=True,
        outcome="accept",
        levels_to_treat=["T12", "L2"],
        comment="Treat both levels in one session.",
    )
    document = SummaryDocument.objects.get(referral=referral)
    assert document.status == SummaryDocument.Status.READY, document.error

    login(page, staff.username)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Print queue"
    ).click()
    expect(page.get_by_role("heading", name="Print queue")).to_be_visible()
    row = page.get_by_test_id("print-queue").get_by_role("row").filter(has_text="40388")
    expect(row).to_contain_text("Jeanne Lefèvre")
    expect(row).to_contain_text("Accept T12, L2")
    expect(row).to_contain_text("Ready")
    page.screenshot(path=str(artifacts_dir / "summary-print-queue.png"), full_page=True)

    row.get_by_role("link", name=f"Open summary #{document.pk}").click()
    expect(page.get_by_role("heading", name=f"Summary #{document.pk} of referral")).to_be_visible()
    expect(page.get_by_test_id("decision")).to_contain_text("Accept: T12, L2")
    expect(page.get_by_test_id("patient-copy")).to_contain_text(
        "You have been accepted for vertebroplasty"
    )
    page.screenshot(path=str(artifacts_dir / "summary-print-page.png"), full_page=True)
    # "Print this page" opens the browser's print dialog (stubbed: headless has none).
    page.evaluate("() => { window.printCalls = 0; window.print = () => window.printCalls++; }")
    page.get_by_role("button", name="Print this page").click()
    assert page.evaluate("window.printCalls") == 1
    # The PDF is ready: the page offers to regenerate it deliberately, not a second "Generate".
    expect(page.get_by_role("button", name="Generate PDF", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Regenerate PDF")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Summary actions")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_hidden()
    page.screenshot(path=str(artifacts_dir / "summary-print-media.png"), full_page=True)
    # What the browser prints: A4 pages without navigation or buttons, the patient copy apart.
    browser_pdf = artifacts_dir / "summary-browser-print.pdf"
    page.pdf(path=str(browser_pdf), prefer_css_page_size=True)
    printed = [" ".join(p.extract_text().split()) for p in PdfReader(browser_pdf).pages]
    assert round(PdfReader(browser_pdf).pages[0].mediabox.width) == 595  # A4, in points
    assert not any("Log out" in text or "Print this page" in text for text in printed)
    patient_page = next(i for i, text in enumerate(printed) if "Patient copy" in text)
    assert patient_page > 0 and "Clinic copy" not in printed[patient_page]
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"summary-{document.pk}.pdf"
    pdf_path = artifacts_dir / download.suggested_filename
    download.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(artifacts_dir / "summary-page1"),
        ],
        check=True,
    )
    publish_docs_image(artifacts_dir / "summary-page1.png", "summary-page1.png")

    page.get_by_role("button", name="Mark printed").click()
    expect(page.get_by_role("status")).to_contain_text(f"Summary #{document.pk} marked as printed.")
    expect(page.get_by_test_id("document-status")).to_contain_text(
        re.compile(r"Printed 1 time\s+\(0 reprints\), last by\s+Sam Okafor")
    )
    document.refresh_from_db()
    assert (document.print_count, document.printed_by) == (1, staff)

    page.goto(f"{live_server.url}/summaries/")
    expect(page.get_by_text("No summaries match these filters.")).to_be_visible()
    page.get_by_label("Status").select_option("printed")
    page.get_by_role("button", name="Filter").click()
    printed_row = page.get_by_test_id("print-queue").get_by_role("row").filter(has_text="40388")
    expect(printed_row).to_contain_text("by Sam Okafor")
