"""Patient-reported outcomes: invitations, the personal link, answers, reminders, opt-out."""

import datetime as dt
import hashlib
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from outcomes import invitations
from outcomes.models import (
    FollowUpReminder,
    PatientContact,
    PatientReport,
    QuestionnaireInvitation,
    QuestionnaireLink,
)
from outcomes.sms import LocmemSmsBackend

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/q/[A-Za-z0-9_-]+/")
ANSWERS = {
    "pain_now": "3",
    "pain_worst_week": "5",
    "pain_medicine": "non_opioid",
    "walking": "independent",
    "usual_activities": "some_problems",
    "back_to_usual_activities": "no",
    "new_back_pain": "no",
    "fall": "no",
    "fever": "no",
    "wound_problem": "no",
    "new_weakness_or_numbness": "no",
    "global_change": "6",
    "comment": "Much better, thank you.",
}


@pytest.fixture(autouse=True)
def empty_sms_outbox():
    LocmemSmsBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()


def day(today, days: int) -> dt.date:
    return today + dt.timedelta(days=days)


def send(today, days: int = 1):
    """The daily run `days` after the procedure (day 1: the 1-day follow-up is due)."""
    return invitations.invitations_send(today=day(today, days), now=timezone.now())


def link_in(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_invitation_link_answers_stored_then_link_dead(client, consenting, today):
    procedure = consenting(given_name="Ada", family_name="Lovelace")

    run = send(today)

    assert (run.invited, run.reminded, run.failed) == (1, 0, 0)
    assert len(mail.outbox) == 1
    url = link_in(mail.outbox[0].body)
    opened = client.get(path_of(url))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("outcomes:questionnaire")
    page = client.get(reverse("outcomes:questionnaire"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello Ada" in html
    assert "Lovelace" not in html
    assert procedure.referral.patient.mrn not in html
    answered = client.post(reverse("outcomes:questionnaire"), ANSWERS)
    assert answered.status_code == 302
    assert "Thank you" in client.get(answered["Location"]).content.decode()
    report = PatientReport.objects.get(follow_up__procedure=procedure)
    assert report.answers == ANSWERS
    assert report.pain_now_nrs == 3
    assert report.follow_up.interval == "day_1"
    assert not report.needs_call
    back = client.get(reverse("outcomes:questionnaire"))  # the browser's back button
    assert back.status_code == 200
    assert "already answered" in back.content.decode()
    again = client.get(path_of(url))
    assert again.status_code == 302
    dead = client.get(reverse("outcomes:questionnaire"))
    assert "already answered" in dead.content.decode()
    assert PatientReport.objects.count() == 1


def test_token_is_256_random_bits_kept_only_as_its_hash(consenting, today):
    consenting()
    send(today)
    token = link_in(mail.outbox[0].body).rstrip("/").rsplit("/", 1)[1]
    link = QuestionnaireLink.objects.get()

    assert len(token) >= 43  # 32 bytes in URL-safe base64
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(QuestionnaireLink.objects.values().get())


def test_expired_link_says_so_and_stores_nothing(client, consenting, today):
    consenting()
    send(today)
    url = link_in(mail.outbox[0].body)
    QuestionnaireLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    client.get(path_of(url))
    page = client.get(reverse("outcomes:questionnaire"))
    posted = client.post(reverse("outcomes:questionnaire"), ANSWERS)

    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert "+39 02 1234 5678" in page.content.decode()
    assert posted.status_code == 410
    assert not PatientReport.objects.exists()


def test_link_expires_after_14_days_by_default(consenting, today):
    consenting()
    send(today)
    link = QuestionnaireLink.objects.get()

    assert link.expires_at - link.created_at == dt.timedelta(days=14)


def test_reused_link_after_answer_stores_nothing_more(client, consenting, today):
    procedure = consenting()
    send(today)
    url = link_in(mail.outbox[0].body)
    client.get(path_of(url))
    client.post(reverse("outcomes:questionnaire"), ANSWERS)

    other_browser = client.__class__()
    other_browser.get(path_of(url))
    page = other_browser.post(reverse("outcomes:questionnaire"), {**ANSWERS, "pain_now": "9"})

    assert "already answered" in page.content.decode()
    assert PatientReport.objects.get(follow_up__procedure=procedure).pain_now_nrs == 3


def test_unknown_link_says_so_kindly_with_the_clinic_phone(client):
    page = client.get("/q/not-a-real-token-at-all/")

    assert page.status_code == 404
    assert "We could not find this questionnaire" in page.content.decode()
    assert "+39 02 1234 5678" in page.content.decode()


def test_incomplete_answers_are_refused_next_to_the_question_and_kept(client, consenting, today):
    consenting()
    send(today)
    client.get(path_of(link_in(mail.outbox[0].body)))

    posted = client.post(reverse("outcomes:questionnaire"), {**ANSWERS, "fall": ""})

    assert posted.status_code == 400
    html = posted.content.decode()
    assert 'id="fall-error"' in html
    assert 'name="pain_now" value="3" checked' in html
    assert not PatientReport.objects.exists()
    assert QuestionnaireInvitation.objects.get().answered_at is None


def test_opt_out_from_the_link_stops_every_later_message(client, consenting, today):
    procedure = consenting()
    send(today)
    client.get(path_of(link_in(mail.outbox[0].body)))

    stopped = client.post(reverse("outcomes:questionnaire-opt-out"))
    later = [send(today, days) for days in (3, 8, 30)]

    assert "We will not send you more messages" in stopped.content.decode()
    contact = PatientContact.objects.get(patient=procedure.referral.patient)
    assert contact.opted_out_at is not None
    assert contact.opt_out_source == PatientContact.OptOutSource.LINK
    assert [(run.invited, run.reminded) for run in later] == [(0, 0)] * 3
    assert len(mail.outbox) == 1


def test_patient_opted_out_by_staff_or_without_consent_is_not_invited(
    accepted, record_procedure, consenting, clinic_staff, today
):
    opted_out = consenting()
    invitations.patient_contact_save(
        patient=opted_out.referral.patient,
        by=clinic_staff,
        email="ada@example.org",
        mobile="",
        preferred_language="en",
        consent_to_contact=True,
        consent_recorded_on=today,
        opted_out=True,
        today=today,
        now=timezone.now(),
    )
    record_procedure(accepted(), performed_on=today)  # no contact recorded at all

    assert send(today).invited == 0
    assert mail.outbox == []


def test_reminders_go_after_2_and_7_days_exactly_once(consenting, today):
    consenting(mobile="+39 333 123 4567")
    day_1_links = QuestionnaireLink.objects.filter(invitation__follow_up__interval="day_1")
    sent_on = []
    for days in range(1, 20):
        for _twice in range(2):
            before = day_1_links.count()
            send(today, days)
            sent_on += [days] * (day_1_links.count() - before)

    # Invited on day 1 (the 1-day follow-up), reminded 2 and 7 days later, once each.
    assert sent_on == [1, 3, 8]
    assert list(day_1_links.values_list("message", flat=True)) == [
        "invitation",
        "reminder_2",
        "reminder_7",
    ]
    invitation = QuestionnaireInvitation.objects.get(follow_up__interval="day_1")
    assert invitation.reminders_sent == 2
    assert invitation.by_email and invitation.by_sms
    # Every message went by both channels: e-mail and SMS counts match.
    assert len(mail.outbox) == len(LocmemSmsBackend.outbox)
    invitations_sent = [m for m in mail.outbox if not m.subject.startswith("Reminder")]
    assert len(invitations_sent) == 2  # the 1-day and the 1-week follow-ups


def test_no_reminder_once_answered(client, consenting, today):
    consenting()
    send(today)
    client.get(path_of(link_in(mail.outbox[0].body)))
    client.post(reverse("outcomes:questionnaire"), ANSWERS)

    assert [send(today, days).reminded for days in (3, 8)] == [0, 0]


@pytest.mark.parametrize("language", ["en", "it"])
def test_message_holds_only_the_clinic_and_the_link_never_patient_data(
    consenting, settings, today, language
):
    settings.VPSELECT_CLINIC_NAME = "Ospedale Demo"
    procedure = consenting(
        given_name="Zebedeo",
        family_name="Quattrocchi",
        mrn="MRN-ZX-99817",
        date_of_birth=dt.date(1937, 8, 19),
        email="zq.patient@example.org",
        mobile="+39 347 555 0199",
        language=language,
    )
    send(today)
    patient = procedure.referral.patient
    email, sms = mail.outbox[0], LocmemSmsBackend.outbox[0]
    url = link_in(email.body)

    assert email.to == ["zq.patient@example.org"]
    assert sms.to == "+393475550199"
    assert url in sms.body
    texts = [email.subject, email.body.replace(url, ""), sms.body.replace(url, "")]
    for text in texts[1:]:
        assert "Ospedale Demo" in text
    patient_values = {
        field.name: getattr(patient, field.attname) for field in patient._meta.concrete_fields
    }
    contact = PatientContact.objects.get(patient=patient)
    forbidden = [
        str(value)
        for name, value in patient_values.items()
        # The language code ("en") is the message's language, not patient data.
        if name not in ("id", "clinic", "created_by", "preferred_language")
        and value not in (None, "")
    ]
    forbidden += [
        "Zebedeo",
        "Quattrocchi",
        "19/08/1937",
        "1937",
        contact.email,
        contact.mobile,
        "347 555",
        str(procedure.referral.pk),
        "L2",
        "vertebr",
        "osteopor",
        "pain",
        "dolore",
        "fracture",
        "frattura",
        str(procedure.performed_on),
    ]
    for text in texts:
        for value in forbidden:
            assert value.lower() not in text.lower(), (value, text)


def test_needs_call_answer_flags_the_follow_up_shows_the_phone_and_tells_staff(
    client, consenting, clinic_staff, radiologist, today
):
    procedure = consenting()
    send(today)
    client.get(path_of(link_in(mail.outbox[0].body)))

    answered = client.post(reverse("outcomes:questionnaire"), {**ANSWERS, "fever": "yes"})
    thanks = client.get(answered["Location"]).content.decode()

    follow_up = procedure.follow_ups.get(interval="day_1")
    assert follow_up.needs_call
    assert follow_up.patient_report.needs_call
    assert "Please call the clinic today" in thanks
    assert "+39 02 1234 5678" in thanks
    reminded = set(
        FollowUpReminder.objects.filter(
            follow_up=follow_up, kind=FollowUpReminder.Kind.NEEDS_CALL
        ).values_list("recipient__username", flat=True)
    )
    assert {clinic_staff.username, radiologist.username} <= reminded


def test_questionnaire_page_shows_the_phone_at_once_when_a_needs_call_answer_is_posted_back(
    client, consenting, today
):
    consenting()
    send(today)
    client.get(path_of(link_in(mail.outbox[0].body)))

    page = client.post(
        reverse("outcomes:questionnaire"), {**ANSWERS, "wound_problem": "yes", "fall": ""}
    )

    html = page.content.decode()
    assert re.search(r'id="needs-call"[^>]*>', html)
    assert not re.search(r'id="needs-call"[^>]*hidden', html)


def test_every_open_and_answer_is_audited_without_the_token(client, consenting, today):
    procedure = consenting()
    send(today)
    url = link_in(mail.outbox[0].body)
    token = url.rstrip("/").rsplit("/", 1)[1]

    client.get(path_of(url))
    client.get(reverse("outcomes:questionnaire"))
    client.post(reverse("outcomes:questionnaire"), ANSWERS)

    events = list(
        AuditEvent.objects.filter(username="(questionnaire link)").order_by("occurred_at", "id")
    )
    assert [(e.action, e.details["event"]) for e in events] == [
        ("view", "open"),
        ("view", "view"),
        ("create", "answer"),
    ]
    assert {e.patient_id for e in events} == {procedure.referral.patient_id}
    assert not [e for e in AuditEvent.objects.all() if token in str(e.path) + str(e.details)]


def test_too_many_opens_from_one_address_are_refused(client, settings):
    settings.VPSELECT_QUESTIONNAIRE_RATE_LIMIT = 3
    statuses = [client.get(f"/q/guess-{n}/").status_code for n in range(5)]

    assert statuses == [404, 404, 404, 429, 429]


def test_italian_patient_gets_italian_pages_and_messages(client, consenting, today):
    consenting(language="it", given_name="Giulia")
    send(today)
    email = mail.outbox[0]

    client.get(path_of(link_in(email.body)))
    html = client.get(reverse("outcomes:questionnaire")).content.decode()

    assert email.subject.startswith("Il Suo questionario di follow-up")
    assert '<html lang="it">' in html
    assert "Buongiorno Giulia" in html
    assert "Invia le mie risposte" in html


def test_cli_with_the_file_email_backend_writes_one_message_per_due_follow_up(
    consenting, accepted, record_procedure, settings, tmp_path, today
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    consenting(email="one@example.org")
    consenting(email="two@example.org")
    record_procedure(accepted(), performed_on=today)  # no consent: not invited
    run_day = day(today, 1).isoformat()

    call_command("follow_up_invitations", "--today", run_day)
    call_command("follow_up_invitations", "--today", run_day)

    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    recipients = sorted(
        re.search(r"^To: (.+)$", f.read_text(), re.MULTILINE).group(1) for f in files
    )
    assert recipients == ["one@example.org", "two@example.org"]


@pytest.mark.parametrize("bad", ["2026-13-01", "04/12/2026", "20261204", "tomorrow"])
def test_cli_refuses_a_date_not_written_yyyy_mm_dd_with_exit_2(bad):
    with pytest.raises(CommandError) as refused:
        call_command("follow_up_invitations", "--today", bad)

    assert refused.value.returncode == 2
    assert "YYYY-MM-DD" in str(refused.value)
    assert not QuestionnaireInvitation.objects.exists()


def test_daily_task_runs_the_invitations(consenting, today, monkeypatch):
    from outcomes import tasks

    consenting()
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: day(today, 1))

    assert tasks.send_follow_up_invitations.delay().get() == {
        "invited": 1,
        "reminded": 0,
        "failed": 0,
    }


def test_failed_send_saves_nothing_and_is_tried_again(consenting, today, monkeypatch):
    consenting()

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    failed = send(today)
    monkeypatch.undo()
    retried = send(today)

    assert (failed.invited, failed.failed) == (0, 1)
    assert retried.invited == 1
    assert QuestionnaireLink.objects.count() == 1
