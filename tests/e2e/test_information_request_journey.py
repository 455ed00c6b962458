"""The information request both ways: the radiologist asks, the physician reads the question
in the notification and on the edit page, answers in words with a report attached (a disguised
file is refused first), resubmits, and the radiologist reads the thread and downloads the file."""

import copy
import importlib
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from accounts.roles import Role
from reviews.models import InformationAttachment, ReasonCode
from tests.factories import case_with, make_patient, make_referral, record_decision

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUESTION = "Please send the MRI with STIR, and the latest INR."
ANSWER = "MRI of 28 Nov attached: oedema at L2. INR 1.1 on 2 Dec; no anticoagulant."


@pytest.fixture(autouse=True)
def reason_codes(db):
    from django.apps import apps

    importlib.import_module("reviews.migrations.0002_seed_reason_codes").seed(apps, None)


@pytest.fixture(autouse=True)
def in_process_celery():
    from vpselect.celery import app

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


def report_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def nav(page):
    return page.get_by_role("navigation", name="Main navigation")


def shoot(page, artifacts_dir, name: str) -> None:
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts_dir / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_the_physician_answers_with_a_report_and_the_radiologist_reads_it(
    page, browser, live_server, login, make_user, artifacts_dir
):
    physician = make_user(
        Role.PHYSICIAN, username="dr-info", first_name="Paula", last_name="Moreau"
    )
    radiologist = make_user(
        Role.RADIOLOGIST, username="ir-info", first_name="Rita", last_name="Deramond"
    )
    # Invented patient.
    patient = make_patient(by=physician, given_name="Hugo", family_name="Lambert", mrn="39870")
    referral = make_referral(
        physician=physician,
        patient=patient,
        case=copy.deepcopy(case_with(coagulopathy=None)),
        submit=True,
    )
    record_decision(
        referral,
        by=radiologist,
        claim=True,
        outcome="request_information",
        reason_code=ReasonCode.objects.get(code="needs-coagulation"),
        comment=QUESTION,
    )

    # The physician reads the question in the notification, then on the referral.
    login(page, "dr-info")
    nav(page).get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.get_by_test_id("notifications")).to_contain_text(QUESTION)
    page.goto(f"{live_server.url}/referrals/{referral.pk}/edit/")
    request = page.get_by_test_id("information-request")
    expect(request).to_contain_text("The radiologist asks for more information")
    expect(request.get_by_test_id("information-question")).to_have_text(QUESTION)
    expect(page.get_by_test_id("patient-banner")).to_contain_text("Hugo Lambert")
    shoot(page, artifacts_dir, "information-request-edit-page")

    # A program renamed as a PDF is refused next to the field; nothing is kept.
    page.get_by_role("textbox", name="Your answer to the radiologist").fill(ANSWER)
    files = page.get_by_label("Attach reports or images")
    files.set_input_files(
        [{"name": "mri-report.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 64}]
    )
    page.get_by_role("button", name="Send answer").click()
    error = page.get_by_test_id("reply-attachments-error")
    expect(error).to_contain_text("“mri-report.pdf” is not a PDF, PNG or JPEG file")
    expect(page.get_by_label("Attach reports or images")).to_have_attribute("aria-invalid", "true")
    assert not InformationAttachment.objects.exists()
    shoot(page, artifacts_dir, "information-request-refused-file")

    # The real report goes through; the words were kept.
    expect(page.get_by_role("textbox", name="Your answer to the radiologist")).to_have_value(ANSWER)
    report = report_pdf()
    page.get_by_label("Attach reports or images").set_input_files(
        [{"name": "mri-report.pdf", "mimeType": "application/pdf", "buffer": report}]
    )
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("Your answer is attached to the referral.")).to_be_visible()
    reply = page.get_by_test_id("information-reply")
    expect(reply).to_contain_text(ANSWER)
    expect(reply.get_by_test_id("attachment-link")).to_have_text("mri-report.pdf")

    # Resubmitting sends the referral back to the radiologist's worklist.
    page.get_by_role("button", name="Submit referral").click()
    expect(page.get_by_test_id("referral-status")).to_have_text("Submitted")

    radiologist_page = browser.new_page()
    login(radiologist_page, "ir-info")
    nav(radiologist_page).get_by_role("link", name="Worklist").click()
    row = radiologist_page.get_by_test_id("worklist-row").filter(has_text="Lambert, Hugo")
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Lambert, Hugo").click()
    thread = radiologist_page.get_by_test_id("review-information-thread")
    expect(thread).to_contain_text(QUESTION)
    expect(thread).to_contain_text(ANSWER)
    expect(thread).not_to_contain_text("Waiting for the answer")
    with radiologist_page.expect_download() as download_info:
        thread.get_by_role("link", name="mri-report.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "mri-report.pdf"
    assert download.path().read_bytes() == report
    radiologist_page.get_by_test_id("review-information-thread").scroll_into_view_if_needed()
    shoot(radiologist_page, artifacts_dir, "information-request-review-thread")
    radiologist_page.close()
