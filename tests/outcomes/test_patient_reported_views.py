"""Staff pages of patient-reported outcomes: contact and consent, the patient's answers next to
the clinic's, the due list's questionnaire states and chase list, response rates."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from outcomes import invitations
from outcomes.invitations import CONSENT_DATE_IN_FUTURE, CONTACT_REQUIRED, MOBILE_INVALID
from outcomes.models import PatientContact, QuestionnaireLink

pytestmark = pytest.mark.django_db

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
    "comment": "",
}


def run_on(today, days: int):
    return invitations.invitations_send(today=today + dt.timedelta(days=days), now=timezone.now())


def known_token(procedure) -> str:
    """Give the patient's newest link a token the test knows (only hashes are stored)."""
    token = f"known-{procedure.pk}-{QuestionnaireLink.objects.count()}"
    link = QuestionnaireLink.objects.filter(invitation__follow_up__procedure=procedure).latest("id")
    QuestionnaireLink.objects.filter(pk=link.pk).update(token_hash=invitations.token_hash(token))
    return token


def answer(procedure, **changes):
    return invitations.questionnaire_answer(
        token=known_token(procedure), answers={**ANSWERS, **changes}, now=timezone.now()
    )


@pytest.fixture
def treated(accepted, record_procedure):
    return record_procedure(accepted()).referral


def contact_url(referral) -> str:
    return reverse("outcomes:patient-contact", args=[referral.pk])


def contact_post(**changes) -> dict:
    return {
        "email": "ada@example.org",
        "mobile": "+39 333 123 4567",
        "preferred_language": "it",
        "consent_to_contact": "on",
        "consent_recorded_on": dt.date.today().isoformat(),
        **changes,
    }


def test_staff_record_contact_and_consent_with_who_and_when(client, treated, clinic_staff):
    client.force_login(clinic_staff)

    saved = client.post(contact_url(treated), contact_post())

    assert saved.status_code == 302
    contact = PatientContact.objects.get(patient=treated.patient)
    assert contact.mobile == "+393331234567"
    assert contact.patient.preferred_language == "it"  # the language is the patient's
    assert contact.consent_to_contact
    assert contact.consent_recorded_by == clinic_staff
    assert contact.may_be_contacted
    assert AuditEvent.objects.filter(
        action="change", object_type="outcomes.patientcontact", patient_id=treated.patient_id
    ).exists()
    page = client.get(reverse("outcomes:referral-outcome", args=[treated.pk])).content.decode()
    assert "Consents" in page
    form = client.get(contact_url(treated)).content.decode()
    assert f'value="{dt.date.today().isoformat()}"' in form  # the stored date, shown back


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "", "mobile": ""}, "email", CONTACT_REQUIRED),
        ({"mobile": "333-CALL-ME"}, "mobile", MOBILE_INVALID),
        ({"consent_recorded_on": "2999-01-01"}, "consent_recorded_on", CONSENT_DATE_IN_FUTURE),
        ({"consent_recorded_on": "01/02/2026"}, "consent_recorded_on", "YYYY-MM-DD"),
    ],
)
def test_bad_contact_is_refused_next_to_its_field_and_saves_nothing(
    client, treated, clinic_staff, changes, field, message
):
    client.force_login(clinic_staff)

    refused = client.post(contact_url(treated), contact_post(**changes))

    assert refused.status_code == 400
    assert str(message) in " ".join(refused.context["form"].errors[field])
    assert not PatientContact.objects.exists()


def test_physician_cannot_record_contact(client, treated, physician):
    client.force_login(physician)

    assert client.get(contact_url(treated)).status_code == 403
    assert client.post(contact_url(treated), contact_post()).status_code == 403


def test_outcome_page_shows_the_patients_answers_beside_the_clinics_and_marks_the_chart(
    client, consenting, radiologist, today
):
    procedure = consenting()
    run_on(today, 1)
    answer(procedure, pain_now="2", wound_problem="yes")
    client.force_login(radiologist)

    page = client.get(reverse("outcomes:referral-outcome", args=[procedure.referral_id]))

    html = page.content.decode()
    assert 'data-patient-report="day_1"' in html
    assert "Patient-reported" in html
    assert 'class="point patient-reported" data-slot="day_1" data-nrs="2"' in html
    # The clinic recorded no complication; the patient reports a wound problem.
    assert 'data-testid="complication-disagreement"' in html
    assert 'data-testid="disagreement-day_1"' in html
    assert "Needs a call" in html


def test_outcome_page_queries_do_not_grow_with_patient_reports(
    client, consenting, radiologist, today, django_assert_max_num_queries
):
    procedure = consenting()
    client.force_login(radiologist)
    url = reverse("outcomes:referral-outcome", args=[procedure.referral_id])
    with django_assert_max_num_queries(30) as before:
        client.get(url)
    run_on(today, 1)
    answer(procedure)
    run_on(today, 7)

    with django_assert_max_num_queries(len(before)):
        assert client.get(url).status_code == 200


def test_due_list_shows_invited_reminded_answered_and_needs_a_call(
    client, consenting, clinic_staff, today, monkeypatch
):
    silent, answered, needs_call = (consenting() for _ in range(3))
    run_on(today, 1)
    answer(answered)
    answer(needs_call, fever="yes")
    client.force_login(clinic_staff)

    def states_on(days):
        monkeypatch.setattr(
            "outcomes.views.timezone.localdate", lambda: today + dt.timedelta(days=days)
        )
        page = client.get(reverse("outcomes:follow-ups-due"))
        rows = page.context["follow_ups"]
        return {row.procedure_id: row.questionnaire_state for row in rows}, page

    on_day_1, _page = states_on(1)
    run_on(today, 3)
    on_day_3, page = states_on(3)

    assert on_day_1 == {silent.pk: "invited", answered.pk: "answered", needs_call.pk: "needs_call"}
    assert on_day_3[silent.pk] == "reminded"
    html = page.content.decode()
    assert "Needs a call" in html
    assert "Reminded once" in html


def test_the_due_list_reads_only_what_its_rows_show(
    client, consenting, clinic_staff, today, monkeypatch, django_assert_max_num_queries
):
    silent, answered = consenting(), consenting()
    run_on(today, 1)
    answer(answered)
    tomorrow = today + dt.timedelta(days=1)  # the day-1 follow-ups are due
    monkeypatch.setattr("outcomes.views.timezone.localdate", lambda: tomorrow)
    client.force_login(clinic_staff)
    client.get(reverse("outcomes:follow-ups-due"))  # the session's first request saves it

    with django_assert_max_num_queries(8) as captured:
        page = client.get(reverse("outcomes:follow-ups-due"))

    states = {row.procedure_id: row.questionnaire_state for row in page.context["follow_ups"]}
    assert states == {silent.pk: "invited", answered.pk: "answered"}
    html = page.content.decode()
    assert silent.referral.patient.mrn in html and answered.referral.patient.mrn in html
    (rows_sql,) = [q["sql"] for q in captured if q["sql"].startswith('SELECT "outcomes_followup"')]
    # Not the referral's answers, the patient's answers or the radiologist's password.
    assert '"patients_referral"."allergies"' not in rows_sql
    assert '"outcomes_patientreport"."answers"' not in rows_sql
    assert '"auth_user"."password"' not in rows_sql


def test_called_clears_needs_a_call_and_later_answers_count_after_a_call(
    client, consenting, clinic_staff, today
):
    procedure = consenting()
    run_on(today, 1)
    answer(procedure, new_weakness_or_numbness="yes")
    follow_up = procedure.follow_ups.get(interval="day_1")
    client.force_login(clinic_staff)

    noted = client.post(reverse("outcomes:follow-up-called", args=[follow_up.pk]))

    assert noted.status_code == 302
    follow_up.refresh_from_db()
    assert not follow_up.needs_call
    invitation = follow_up.invitation
    assert invitation.called_by == clinic_staff
    assert invitation.called_at is not None


def test_chase_list_holds_non_responders_after_the_last_reminder(
    client, consenting, clinic_staff, today, monkeypatch
):
    silent = consenting(family_name="Silent")
    replied = consenting(family_name="Replied")
    run_on(today, 1)
    answer(replied)
    for days in (3, 8):
        run_on(today, days)
    client.force_login(clinic_staff)

    page = client.get(reverse("outcomes:follow-ups-due"))

    chased = [invitation.follow_up.procedure_id for invitation in page.context["chase_list"]]
    assert chased == [silent.pk]
    html = page.content.decode()
    assert 'data-testid="chase-list"' in html
    assert "Silent" in html


def test_due_list_queries_do_not_grow_with_invitations_and_chase_list(
    client, consenting, clinic_staff, today, django_assert_max_num_queries
):
    consenting()
    run_on(today, 1)
    run_on(today, 3)
    run_on(today, 8)
    client.force_login(clinic_staff)
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("outcomes:follow-ups-due"))
    for _ in range(3):
        consenting()
    run_on(today, 1)
    run_on(today, 3)
    run_on(today, 8)

    with django_assert_max_num_queries(len(one)):
        page = client.get(reverse("outcomes:follow-ups-due"))
    assert len(page.context["chase_list"]) == 4


def test_dashboard_response_rates_per_interval(client, consenting, radiologist, today):
    procedures = [consenting() for _ in range(4)]
    run_on(today, 1)
    answer(procedures[0], pain_now="2")  # at once
    run_on(today, 3)
    answer(procedures[1], pain_now="4")  # after the reminder
    invitations.follow_up_mark_called(
        follow_up=procedures[2].follow_ups.get(interval="day_1"),
        by=radiologist,
        now=timezone.now(),
    )
    answer(procedures[2], pain_now="6")  # after the call
    client.force_login(radiologist)

    page = client.get(reverse("outcomes:dashboard"))

    day_1 = next(row for row in page.context["report"].responses if row.slot == "day_1")
    assert (day_1.invited, day_1.answered.count, day_1.answered.n) == (4, 3, 4)
    assert (day_1.after_reminder, day_1.after_call) == (1, 1)
    assert (day_1.pain.n, day_1.pain.median) == (3, 4)
    assert 'data-testid="response-rates"' in page.content.decode()
