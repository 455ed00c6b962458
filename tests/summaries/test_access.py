"""Who may open, download, generate and mark summaries: by role and by referral ownership."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from summaries.models import SummaryDocument
from summaries.services import NOT_READY_TO_PRINT, REFERRAL_NOT_EVALUATED, SUPERSEDED_NOT_PRINTABLE
from tests.factories import make_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_summary(submitted_referral, decide, django_capture_on_commit_callbacks, stub_pdf):
    """A referral of `physician`, accepted, with its PDF rendered."""
    referral = submitted_referral(given_name="Odile", family_name="Brun")
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral)
    document = SummaryDocument.objects.get(referral=referral)
    assert document.status == SummaryDocument.Status.READY
    return document


def _pages(document):
    return {
        "print page": reverse("summaries:document", args=[document.pk]),
        "referral summary": reverse("summaries:referral-summary", args=[document.referral_id]),
        "status": reverse("summaries:status", args=[document.pk]),
        "open": reverse("summaries:open", args=[document.pk]),
        "download": reverse("summaries:download", args=[document.pk]),
    }


@pytest.mark.parametrize("role", ["owner", Role.RADIOLOGIST, Role.STAFF, "admin"])
def test_the_owner_radiologists_staff_and_admins_open_every_summary_page(
    client, ready_summary, make_user, role
):
    if role == "owner":
        user = ready_summary.referral.physician
    elif role == "admin":
        user = make_user(superuser=True)
    else:
        user = make_user(role)
    client.force_login(user)
    for name, url in _pages(ready_summary).items():
        assert client.get(url).status_code == 200, name


@pytest.mark.parametrize("role", ["other physician", "no role"])
def test_others_get_404_for_every_summary_page(client, ready_summary, make_user, role):
    user = make_user(Role.PHYSICIAN) if role == "other physician" else make_user()
    client.force_login(user)
    for name, url in _pages(ready_summary).items():
        assert client.get(url).status_code == 404, name


def test_anonymous_visitors_are_sent_to_the_login_page(client, ready_summary):
    for name, url in _pages(ready_summary).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_the_print_queue_is_for_clinic_staff_only(client, ready_summary, make_user):
    for role, status in [
        (Role.STAFF, 200),
        (Role.PHYSICIAN, 403),
        (Role.RADIOLOGIST, 403),
        (None, 403),
    ]:
        client.force_login(make_user(role))
        assert client.get(reverse("summaries:queue")).status_code == status, role


def test_a_download_is_a_pdf_named_by_id_never_cached(client, ready_summary, clinic_staff):
    client.force_login(clinic_staff)
    response = client.get(reverse("summaries:download", args=[ready_summary.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="summary-{ready_summary.pk}.pdf"'
    )
    assert response["Cache-Control"] == "no-store"
    assert "Brun" not in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")

    opened = client.get(reverse("summaries:open", args=[ready_summary.pk]))
    assert opened["Content-Disposition"] == f'inline; filename="summary-{ready_summary.pk}.pdf"'
    assert opened["Cache-Control"] == "no-store"


def test_a_pdf_that_is_not_ready_cannot_be_downloaded(client, ready_summary, clinic_staff):
    SummaryDocument.objects.filter(pk=ready_summary.pk).update(
        status=SummaryDocument.Status.PENDING
    )
    client.force_login(clinic_staff)
    assert client.get(reverse("summaries:download", args=[ready_summary.pk])).status_code == 404


def test_a_pdf_missing_on_disk_answers_404_not_500(client, ready_summary, clinic_staff):
    ready_summary.file.storage.delete(ready_summary.file.name)
    client.force_login(clinic_staff)
    assert client.get(reverse("summaries:download", args=[ready_summary.pk])).status_code == 404


def test_a_pdf_altered_on_disk_is_refused(client, ready_summary, clinic_staff):
    with ready_summary.file.open("ab") as stored:
        stored.write(b"tampered")
    client.force_login(clinic_staff)
    response = client.get(reverse("summaries:download", args=[ready_summary.pk]))
    assert response.status_code == 409


def test_staff_mark_a_summary_printed_and_each_reprint_is_counted(
    client, ready_summary, clinic_staff
):
    client.force_login(clinic_staff)
    url = reverse("summaries:mark-printed", args=[ready_summary.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("summaries:queue")
    client.post(url)
    ready_summary.refresh_from_db()
    assert ready_summary.print_count == 2
    assert ready_summary.reprint_count == 1
    assert ready_summary.printed_by == clinic_staff
    assert ready_summary.printed_at is not None


def test_marking_printed_changes_no_clinical_data(client, ready_summary, clinic_staff):
    referral = ready_summary.referral
    referral.refresh_from_db()
    before = (referral.version, referral.status, referral.updated_at)
    client.force_login(clinic_staff)
    client.post(reverse("summaries:mark-printed", args=[ready_summary.pk]))
    referral.refresh_from_db()
    assert (referral.version, referral.status, referral.updated_at) == before


@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.RADIOLOGIST])
def test_only_clinic_staff_mark_summaries_printed(client, ready_summary, make_user, role):
    user = ready_summary.referral.physician if role == Role.PHYSICIAN else make_user(role)
    client.force_login(user)
    response = client.post(reverse("summaries:mark-printed", args=[ready_summary.pk]))
    assert response.status_code == 403
    ready_summary.refresh_from_db()
    assert ready_summary.print_count == 0


def test_a_summary_whose_pdf_is_not_ready_cannot_be_marked_printed(
    client, ready_summary, clinic_staff
):
    SummaryDocument.objects.filter(pk=ready_summary.pk).update(status=SummaryDocument.Status.FAILED)
    client.force_login(clinic_staff)
    response = client.post(reverse("summaries:mark-printed", args=[ready_summary.pk]), follow=True)
    assert str(NOT_READY_TO_PRINT) in response.content.decode()
    ready_summary.refresh_from_db()
    assert ready_summary.print_count == 0


def test_generate_pdf_when_one_is_ready_opens_it_instead_of_making_a_duplicate(
    client, ready_summary, clinic_staff, django_capture_on_commit_callbacks
):
    client.force_login(clinic_staff)
    page = client.get(reverse("summaries:referral-summary", args=[ready_summary.referral_id]))
    assert f"Open the PDF (summary #{ready_summary.pk})" in page.content.decode()
    assert "Regenerate PDF" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("summaries:generate", args=[ready_summary.referral_id]), follow=True
        )
    assert SummaryDocument.objects.get() == ready_summary
    assert response.redirect_chain[-1][0] == ready_summary.get_absolute_url()
    assert f"already exists (summary #{ready_summary.pk})" in response.content.decode()


def test_regenerate_pdf_makes_a_new_summary_that_supersedes_the_last(
    client, ready_summary, clinic_staff, django_capture_on_commit_callbacks
):
    client.force_login(clinic_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("summaries:generate", args=[ready_summary.referral_id]), {"regenerate": "1"}
        )
    newer = SummaryDocument.objects.exclude(pk=ready_summary.pk).get()
    assert response.status_code == 302
    assert response["Location"] == newer.get_absolute_url()
    assert newer.status == SummaryDocument.Status.READY
    assert newer.decision_id == ready_summary.decision_id
    assert newer.requested_by == clinic_staff
    ready_summary.refresh_from_db()
    assert ready_summary.superseded_by == newer

    response = client.post(reverse("summaries:mark-printed", args=[ready_summary.pk]), follow=True)
    assert str(SUPERSEDED_NOT_PRINTABLE) in response.content.decode()
    # The document page of the new one says nothing stale: its status panel speaks for it.
    page = client.get(newer.get_absolute_url()).content.decode()
    assert "being made" not in page.lower()


def test_physicians_cannot_generate_pdfs(client, ready_summary):
    client.force_login(ready_summary.referral.physician)
    response = client.post(reverse("summaries:generate", args=[ready_summary.referral_id]))
    assert response.status_code == 403
    assert SummaryDocument.objects.count() == 1


def test_generating_for_a_referral_staff_cannot_see_answers_404(client, physician, clinic_staff):
    draft = make_referral(physician=physician)
    client.force_login(clinic_staff)
    assert client.post(reverse("summaries:generate", args=[draft.pk])).status_code == 404
    assert client.get(reverse("summaries:referral-summary", args=[draft.pk])).status_code == 404


def test_a_physician_sees_that_an_unsubmitted_referral_has_no_summary(client, physician):
    draft = make_referral(physician=physician)
    client.force_login(physician)
    response = client.get(reverse("summaries:referral-summary", args=[draft.pk]))
    assert response.status_code == 200
    assert str(REFERRAL_NOT_EVALUATED) in response.content.decode()


def test_get_is_refused_on_the_actions(client, ready_summary, clinic_staff):
    client.force_login(clinic_staff)
    assert client.get(reverse("summaries:mark-printed", args=[ready_summary.pk])).status_code == 405
    assert (
        client.get(reverse("summaries:generate", args=[ready_summary.referral_id])).status_code
        == 405
    )
