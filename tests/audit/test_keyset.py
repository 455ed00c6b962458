"""The trail at ten years' size: pages by position (no OFFSET, no COUNT) and an export read a
chunk at a time (no server-side cursor, as behind PgBouncer)."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import views
from audit.forms import NOT_A_PAGE
from audit.models import AuditEvent
from audit.selectors import EventFilters, cursor_of, event_page, event_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client(client, make_user):
    auditor = make_user(None, username="auditor", superuser=True)
    device = TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    client.force_login(auditor)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def trail(count: int, *, same_moment: bool = False) -> list[AuditEvent]:
    """`count` events, one a minute (or all at one instant), newest last."""
    start = timezone.now() - dt.timedelta(days=1)
    return [
        AuditEvent.objects.create(
            action=AuditEvent.Action.VIEW,
            outcome=AuditEvent.Outcome.SUCCESS,
            occurred_at=start if same_moment else start + dt.timedelta(minutes=n),
            request_id=f"r-{n}",
        )
        for n in range(count)
    ]


def ids(page) -> list[str]:
    return [event.request_id for event in page.events]


@pytest.mark.parametrize("same_moment", [False, True])
def test_older_pages_walk_the_trail_once_each_newest_first(same_moment):
    trail(7, same_moment=same_moment)
    first = event_page(EventFilters(), size=3)
    second = event_page(EventFilters(), before=first.older, size=3)
    third = event_page(EventFilters(), before=second.older, size=3)

    assert ids(first) + ids(second) + ids(third) == [f"r-{n}" for n in range(6, -1, -1)]
    assert first.is_first and not second.is_first
    assert third.older == ""


def test_newer_goes_back_to_the_page_before():
    trail(7)
    first = event_page(EventFilters(), size=3)
    second = event_page(EventFilters(), before=first.older, size=3)
    back = event_page(EventFilters(), after=second.newer, size=3)

    assert ids(back) == ids(first)
    assert back.newer == ""  # the newest page again
    assert back.older == first.older


def test_a_page_far_back_costs_the_queries_of_the_first(auditor_client):
    events = trail(120)
    url = reverse("audit:events")
    auditor_client.get(url)  # the session's first request stamps it

    def queries(query: dict) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = auditor_client.get(url, query)
        assert response.status_code == 200
        return len(captured)

    first = queries({})
    far = queries({"before": cursor_of(events[10])})
    assert far == first
    assert not any("COUNT(" in q["sql"] or "OFFSET" in q["sql"] for q in connection.queries)


def test_the_page_links_keep_the_filters_and_move_by_position(auditor_client):
    trail(60)
    response = auditor_client.get(reverse("audit:events"), {"action": "view"})
    html = response.content.decode()
    older = response.context["page"].older
    assert f"?action=view&amp;before={older}" in html
    response = auditor_client.get(reverse("audit:events"), {"action": "view", "before": older})
    assert [e.request_id for e in response.context["page"].events] == [
        f"r-{n}" for n in range(9, -1, -1)
    ]
    assert "after=" in response.content.decode()


@pytest.mark.parametrize("cursor", ["page-2", "12.x", "9" * 30 + ".1"])
def test_a_position_that_is_not_one_is_refused_with_a_way_back(auditor_client, cursor):
    response = auditor_client.get(reverse("audit:events"), {"before": cursor})
    assert response.status_code == 400
    assert str(NOT_A_PAGE) in response.content.decode()


def test_a_day_filter_reads_the_range_of_occurred_at_not_its_date():
    trail(3)
    day = timezone.localdate() - dt.timedelta(days=1)
    with CaptureQueriesContext(connection) as captured:
        event_page(EventFilters(date_from=day, date_to=day))
    (query,) = captured.captured_queries
    assert "AT TIME ZONE" not in query["sql"]
    assert '"occurred_at" >=' in query["sql"] and '"occurred_at" <' in query["sql"]


def test_the_export_reads_the_trail_in_chunks_by_position():
    events = trail(5, same_moment=True)
    with CaptureQueriesContext(connection) as captured:
        rows = list(event_rows(EventFilters(), ("request_id",), up_to_id=events[-1].pk, chunk=2))
    assert rows == [(f"r-{n}",) for n in range(4, -1, -1)]
    assert len(captured) == 3  # 2 + 2 + 1: no row read twice, none missed
    assert all("LIMIT 2" in q["sql"] for q in captured.captured_queries)


def test_the_export_streams_and_its_queries_grow_with_chunks_not_rows(auditor_client, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_CHUNK", 4)
    trail(10)
    response = auditor_client.get(reverse("audit:export"), {"action": "view"})
    assert isinstance(response, StreamingHttpResponse)
    with CaptureQueriesContext(connection) as captured:
        body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["request_id"] for row in rows] == [f"r-{n}" for n in range(9, -1, -1)]
    assert len(captured) == 3  # 4 + 4 + 2 rows
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert export.details["up_to_event"] == AuditEvent.objects.get(request_id="r-9").pk
