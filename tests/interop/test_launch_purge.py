"""Issue 17, finding 12: the EHR's copy of a patient's details behind a CDS link is erased once
the link has expired (hourly, Celery beat); the link keeps answering as an expired one."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from interop.models import CdsLaunch
from interop.services import cds_launches_purge
from interop.tasks import purge_expired_launches

pytestmark = pytest.mark.django_db

PATIENT = {
    "mrn": "PURGE-1",
    "given_name": "Ada",
    "family_name": "Purgeable",
    "date_of_birth": "1940-01-01",
    "sex": "female",
}


def _launch(expires_in: dt.timedelta) -> CdsLaunch:
    return CdsLaunch.objects.create(
        patient=dict(PATIENT), case={"levels": []}, expires_at=timezone.now() + expires_in
    )


def test_expired_launches_lose_the_patients_details_and_answers_and_live_ones_keep_them(
    client, physician
):
    expired = _launch(dt.timedelta(seconds=-1))
    live = _launch(dt.timedelta(hours=1))

    assert purge_expired_launches() == 1

    expired.refresh_from_db()
    live.refresh_from_db()
    assert (expired.patient, expired.case) == ({}, {})
    assert live.patient == PATIENT
    event = AuditEvent.objects.get(action="delete", username="vpselect-purge")
    assert event.details == {"cds_launches_purged": [str(expired.pk)]}
    assert "Purgeable" not in str(event.details)
    client.force_login(physician)
    assert client.get(reverse("interop:cds-launch", args=[expired.pk])).status_code == 410


def test_a_second_purge_finds_nothing_more_to_erase():
    _launch(dt.timedelta(seconds=-1))
    now = timezone.now()
    assert cds_launches_purge(now=now) == 1
    assert cds_launches_purge(now=now) == 0
    assert AuditEvent.objects.filter(username="vpselect-purge").count() == 1
