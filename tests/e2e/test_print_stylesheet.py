"""A browser's print of a referral summary (static/css/print.css, summary-print.css): no
navigation, toolbar or screen banner, and no half-blank first page."""

import io
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from accounts.roles import Role
from outcomes.services import TreatedLevelInput, follow_up_record, procedure_record
from tests.e2e.test_print_journey import L1, L2, T12
from tests.factories import case_with, make_patient, make_referral, record_decision

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Page 1 is printed down to at least this share of its height (a whole section moved to page 2
# left it at 0.45 before the print stylesheet let sections flow).
PAGE_ONE_FILLED = 0.8


@pytest.fixture(autouse=True)
def in_process_pdfs(settings, tmp_path):
    from vpselect.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


def treated_referral(make_user):
    """An accepted referral of three levels, treated, with one follow-up: the procedure and its
    pain chart come right after the decision."""
    physician = make_user(Role.PHYSICIAN, first_name="Paula", last_name="Moreau")
    radiologist = make_user(Role.RADIOLOGIST, first_name="Rita", last_name="Deramond")
    patient = make_patient(by=physician, given_name="Jeanne", family_name="Printwell", mrn="50411")
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
    today = timezone.localdate()
    procedure = procedure_record(
        referral=referral,
        by=radiologist,
        performed_on=today,
        levels=[
            TreatedLevelInput("T12", Decimal("3.0"), "transpedicular"),
            TreatedLevelInput("L2", Decimal("2.5"), "transpedicular"),
        ],
        guidance="fluoroscopy",
        anaesthesia="local",
        admission="outpatient",
        had_complications=False,
        today=today,
    )
    follow_up_record(
        follow_up=procedure.follow_ups.get(interval="day_1"),
        by=radiologist,
        assessed_on=today,
        pain_nrs=5,
        analgesics="none",
        mobility="independent",
        back_to_usual_activities=True,
        new_fracture=False,
        today=today,
    )
    return referral


def printed_share_of_page_one(pdf_path, tmp_path) -> float:
    """How far down page 1 the ink goes, as a share of the page above the footer line."""
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            "40",
            "-gray",
            "-png",
            str(pdf_path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = image.size
    body_bottom = int(height * 0.93)  # the running footer ("Page 1 of 4") sits below this
    pixels = image.load()
    inked = [row for row in range(body_bottom) if any(pixels[x, row] < 200 for x in range(width))]
    return max(inked) / body_bottom


@pytest.mark.parametrize("width", [1366, 390])
def test_printing_a_summary_fills_page_one_with_the_summary_and_no_navigation(
    page, live_server, login, make_user, artifacts_dir, tmp_path, width
):
    referral = treated_referral(make_user)
    staff = make_user(Role.STAFF, username="staff-print", first_name="Sam", last_name="Okafor")

    login(page, staff.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/referrals/{referral.pk}/summary/")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)

    pdf_path = artifacts_dir / f"summary-browser-print-{width}.pdf"
    pdf_path.write_bytes(pdf)
    pages = PdfReader(io.BytesIO(pdf)).pages
    first = pages[0].extract_text()
    assert first.index("Referral summary · Clinic copy") < first.index("Radiologist's decision")
    assert "Procedure and outcome" in first
    everything = "\n".join(sheet.extract_text() for sheet in pages)
    for screen_only in ("Main navigation", "Log out", "Print this page", "Generate PDF", "Sam"):
        assert screen_only not in everything
    assert "Allergies:" not in everything  # the on-screen patient banner; the sheet has its own
    filled = printed_share_of_page_one(pdf_path, tmp_path)
    print(f"page 1 printed down to {filled:.2f} of its height at {width} px")
    assert filled >= PAGE_ONE_FILLED
    # The patient copy still starts on a page of its own.
    assert any(sheet.extract_text().find("Patient copy") != -1 for sheet in pages[1:])
    assert "Patient copy" not in first
