"""The two-way information request: the physician answers in words and files, the radiologist
reads the thread; files are checked by content, stored privately, served to the right people
only, and every upload and download is in the audit trail."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter

from accounts.roles import Role
from audit.models import AuditEvent
from patients.models import Referral
from patients.services import LevelAnswers, referral_save_and_submit
from reviews.models import InformationAttachment, InformationReply, Notification, ReasonCode
from reviews.services import NO_OPEN_REQUEST, ReviewError, information_reply_create
from tests.factories import record_decision

pytestmark = pytest.mark.django_db

QUESTION = "Please send the MRI with STIR of the last month."


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list[Path]:
    root = Path(settings.VPSELECT_PRIVATE_FILES_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def asked(submitted, radiologist, django_capture_on_commit_callbacks):
    """A referral the radiologist asked about: status information requested."""
    referral = submitted("incomplete")
    with django_capture_on_commit_callbacks(execute=True):
        record_decision(
            referral,
            by=radiologist,
            claim=True,
            outcome="request_information",
            reason_code=ReasonCode.objects.get(code="needs-coagulation"),
            comment=QUESTION,
        )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INFORMATION_REQUESTED
    return referral


def answer_url(referral) -> str:
    return reverse("reviews:information-reply", args=[referral.pk])


def test_the_question_is_in_the_notification_and_at_the_top_of_the_edit_page(
    client, physician, asked
):
    client.force_login(physician)
    notes = client.get(reverse("reviews:notifications")).content.decode()
    page = client.get(reverse("patients:referral-edit", args=[asked.pk])).content.decode()

    assert QUESTION in notes
    # The e-mail never carries the radiologist's words (they may name the patient).
    assert all(QUESTION not in message.body for message in mail.outbox)
    assert page.index('data-testid="information-request"') < page.index('id="intake-form"')
    assert QUESTION in page and 'data-testid="information-reply-form"' in page


def test_the_physician_answers_with_words_and_files_and_the_radiologist_reads_the_thread(
    client, physician, radiologist, asked
):
    client.force_login(physician)
    response = client.post(
        answer_url(asked),
        {
            "reply-text": "MRI with STIR attached: oedema at L2.",
            "reply-attachments": [
                upload("mri-report.pdf", pdf_bytes(), "application/pdf"),
                upload("stir.png", image_bytes("PNG"), "image/png"),
                upload("photo.JPG", image_bytes("JPEG"), "image/jpeg"),
            ],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:referral-edit", args=[asked.pk])
    reply = InformationReply.objects.get(referral=asked)
    assert reply.text == "MRI with STIR attached: oedema at L2."
    attachments = list(reply.attachments.order_by("id"))
    assert [(a.original_name, a.content_type) for a in attachments] == [
        ("mri-report.pdf", "application/pdf"),
        ("stir.png", "image/png"),
        ("photo.JPG", "image/jpeg"),
    ]
    # Stored outside the served media and static directories, under names that say nothing.
    private_root = Path(settings.VPSELECT_PRIVATE_FILES_ROOT).resolve()
    for attachment in attachments:
        path = Path(attachment.file.path).resolve()
        assert path.is_relative_to(private_root)
        assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
        assert "mri" not in path.name and "stir" not in path.name
    upload_event = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, object_type="reviews.informationreply"
    )
    assert upload_event.patient_id == asked.patient_id
    assert upload_event.details["attachment_ids"] == [a.pk for a in attachments]
    # The referral waits for the resubmission, as before.
    asked.refresh_from_db()
    assert asked.status == Referral.Status.INFORMATION_REQUESTED

    client.force_login(radiologist)
    page = client.get(reverse("reviews:review", args=[asked.pk])).content.decode()
    assert QUESTION in page and "MRI with STIR attached: oedema at L2." in page
    download_url = reverse("reviews:attachment-download", args=[attachments[0].pk])
    assert f'href="{download_url}"' in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="mri-report.pdf"' in download["Content-Disposition"]
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content) == pdf_bytes_of(attachments[0])
    download_event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert download_event.user == radiologist
    assert download_event.object_type == "reviews.informationattachment"
    assert download_event.object_id == str(attachments[0].pk)
    assert download_event.patient_id == asked.patient_id


def pdf_bytes_of(attachment: InformationAttachment) -> bytes:
    with attachment.file.open("rb") as stored:
        return stored.read()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # A Windows program and a web page disguised by their names.
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200, "is not a PDF, PNG or JPEG file"),
        ("scan.png", b"<html><script>alert(1)</script></html>", "is not a PDF, PNG or JPEG"),
        # The magic bytes of a PDF without a PDF behind them.
        ("fake.pdf", b"%PDF-1.7\nnot really a pdf", "is not a PDF, PNG or JPEG file"),
        ("fake.jpg", b"\xff\xd8\xff\xe0 not an image", "is not a PDF, PNG or JPEG file"),
        # A real image named as a PDF.
        (
            "image.pdf",
            image_bytes("PNG"),
            "is a PNG file, but its name says otherwise: rename it to end in .png",
        ),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused_next_to_the_field_and_nothing_is_saved(
    client, physician, asked, name, content, message
):
    client.force_login(physician)
    before = stored_files()

    response = client.post(
        answer_url(asked),
        {
            "reply-text": "See the attached report.",
            "reply-attachments": [upload("good.pdf", pdf_bytes()), upload(name, content)],
        },
    )

    page = response.content.decode()
    assert response.status_code == 400
    error = page[page.index('data-testid="reply-attachments-error"') :]
    assert message in error[: error.index("</div>")]
    assert 'aria-invalid="true"' in page
    assert QUESTION in page  # the page still shows what is asked
    assert not InformationReply.objects.exists()
    assert not InformationAttachment.objects.exists()
    assert stored_files() == before


def test_a_file_over_the_size_limit_is_refused(client, physician, asked, settings):
    settings.VPSELECT_ATTACHMENT_MAX_BYTES = 1024 * 1024
    client.force_login(physician)
    big = pdf_bytes() + b"\n" * (1024 * 1024)

    response = client.post(answer_url(asked), {"reply-attachments": [upload("big.pdf", big)]})

    assert response.status_code == 400
    assert "“big.pdf” is too big: the largest file accepted is 1 MB." in response.content.decode()
    assert not InformationReply.objects.exists()


def test_an_answer_without_words_or_files_is_refused(client, physician, asked):
    client.force_login(physician)

    response = client.post(answer_url(asked), {"reply-text": "   "})

    assert response.status_code == 400
    assert "Write an answer or attach a file." in response.content.decode()
    assert not InformationReply.objects.exists()


def test_another_physician_can_neither_answer_nor_download(
    client, physician, make_user, asked, clinic_staff
):
    reply = information_reply_create(
        referral=asked,
        by=physician,
        text="",
        files=[_checked("inr.pdf", pdf_bytes())],
    )
    attachment = reply.attachments.get()
    url = reverse("reviews:attachment-download", args=[attachment.pk])
    other = make_user(Role.PHYSICIAN, username="dr-other")

    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(answer_url(asked), {"reply-text": "Mine now"}).status_code == 404
    assert AuditEvent.objects.filter(user=other, action=AuditEvent.Action.DENIED).count() == 2
    client.force_login(physician)
    assert client.get(url).status_code == 200
    client.force_login(clinic_staff)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert InformationReply.objects.count() == 1


def _checked(name: str, content: bytes):
    from reviews.attachments import check_attachment

    return check_attachment(upload(name, content))


def test_no_answer_once_the_referral_was_resubmitted(client, physician, radiologist, asked):
    information_reply_create(referral=asked, by=physician, text="INR 1.1 on 2 Dec.")
    referral_save_and_submit(
        patient=asked.patient,
        referral=asked,
        by=physician,
        answers={"coagulopathy": False},
        levels=[LevelAnswers(id=level.pk, answers={}) for level in asked.levels.all()],
        today=asked.latest_evaluation.created_at.date(),
    )
    asked.refresh_from_db()
    assert asked.status == Referral.Status.SUBMITTED  # back on the worklist, as before

    with pytest.raises(ReviewError) as refused:
        information_reply_create(referral=asked, by=physician, text="Another word")
    assert refused.value.message == str(NO_OPEN_REQUEST)
    client.force_login(physician)
    response = client.post(answer_url(asked), {"reply-text": "Another word"})
    assert response.status_code == 302
    assert InformationReply.objects.count() == 1
    client.force_login(radiologist)
    worklist = client.get(reverse("reviews:worklist"))
    assert asked.pk in [row["pk"] for row in worklist.context["rows"]]
    page = client.get(reverse("reviews:review", args=[asked.pk])).content.decode()
    assert "INR 1.1 on 2 Dec." in page and "Waiting for the answer" not in page


def test_the_clinic_copy_of_the_summary_has_the_thread_and_the_patient_copy_does_not(
    client, physician, clinic_staff, asked
):
    information_reply_create(
        referral=asked,
        by=physician,
        text="INR 1.1 on 2 Dec.",
        files=[_checked("inr-lab.pdf", pdf_bytes())],
    )
    client.force_login(clinic_staff)

    page = client.get(reverse("summaries:referral-summary", args=[asked.pk])).content.decode()

    clinic, patient = page.split('data-testid="patient-copy"')
    assert 'data-testid="summary-information-thread"' in clinic
    assert QUESTION in clinic and "INR 1.1 on 2 Dec." in clinic and "inr-lab.pdf" in clinic
    assert QUESTION not in patient and "INR 1.1" not in patient and "inr-lab" not in patient


def test_notification_text_quotes_the_question(asked, physician):
    from reviews.notifications import notification_text

    notification = Notification.objects.get(recipient=physician, referral=asked)

    assert f"Question: “{QUESTION}”" in notification_text(notification)


def test_the_private_files_root_may_not_overlap_a_served_directory(settings, tmp_path):
    from reviews.checks import check_private_files_root

    assert check_private_files_root() == []
    settings.MEDIA_ROOT = tmp_path
    settings.VPSELECT_PRIVATE_FILES_ROOT = tmp_path / "private"

    problems = check_private_files_root()

    assert [problem.id for problem in problems] == ["reviews.E001"]
    assert "overlaps MEDIA_ROOT" in problems[0].msg
