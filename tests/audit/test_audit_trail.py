import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from audit.models import AuditEvent


@pytest.mark.django_db
def test_every_signed_in_page_view_is_recorded_with_user_ip_and_request_id(client, physician):
    client.force_login(physician)
    response = client.get(reverse("home"), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.user == physician
    assert event.ip == "10.1.2.3"
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.request_id == response["X-Request-ID"]
    assert event.path == "/"


@pytest.mark.django_db
def test_query_strings_never_reach_the_trail(client, physician):
    client.force_login(physician)
    client.get(reverse("home") + "?q=Smith")
    assert "Smith" not in str(list(AuditEvent.objects.values()))


@pytest.mark.django_db
def test_login_logout_and_failed_login_are_recorded(client, make_user):
    user = make_user(None, username="auditee")
    client.post(reverse("login"), {"username": "auditee", "password": "wrong-password-1"})
    client.post(reverse("login"), {"username": "auditee", "password": "a-long-test-password"})
    client.post(reverse("logout"))
    actions = list(
        AuditEvent.objects.filter(username="auditee")
        .order_by("id")
        .values_list("action", "outcome")
    )
    assert (AuditEvent.Action.LOGIN_FAILED, AuditEvent.Outcome.FAILED) in actions
    assert (AuditEvent.Action.LOGIN, AuditEvent.Outcome.SUCCESS) in actions
    assert (AuditEvent.Action.LOGOUT, AuditEvent.Outcome.SUCCESS) in actions
    assert user.pk in AuditEvent.objects.filter(action="login").values_list("user_id", flat=True)
    assert "wrong-password-1" not in str(list(AuditEvent.objects.values()))


@pytest.mark.django_db
def test_a_permission_denial_is_recorded_as_denied(client, clinic_staff):
    client.force_login(clinic_staff)
    response = client.get("/admin/")
    assert response.status_code == 302  # the admin sends non-staff users to its own login
    client.get("/no-such-page/")
    event = AuditEvent.objects.filter(status_code=404).get()
    assert event.outcome == AuditEvent.Outcome.DENIED
    assert event.action == AuditEvent.Action.DENIED


@pytest.mark.django_db
def test_postgresql_rejects_update_and_delete_of_audit_events(physician):
    event = AuditEvent.objects.create(user=physician, action="view", outcome="success")
    for statement in (
        "UPDATE audit_auditevent SET action = 'login' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action="view").exists()


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_an_audit_event(physician):
    from django.core.exceptions import ValidationError

    event = AuditEvent.objects.create(user=physician, action="view", outcome="success")
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
