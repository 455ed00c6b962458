"""The rows of "My referrals" and "My patients": worked out in the view, written by a tag, as
the template loops wrote them."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from patients import selectors, views
from patients.models import Referral

from .conftest import eligible_case, page

pytestmark = pytest.mark.django_db

# The row loop of patients/_referral_results.html before the rows were worked out in the
# view, verbatim, with the recommendation badge it included per row.
FORMER_ROWS = """{% load findings %}
    {% for referral in referrals %}
    <tr data-referral="{{ referral.pk }}">
      <td><a href="{{ referral.get_absolute_url }}">{{ referral.patient.family_name }}, {{ referral.patient.given_name }}</a></td>
      <td>{{ referral.patient.mrn }}</td>
      <td>{% for level in referral.levels.all %}{{ level.level }}{% if not forloop.last %}, {% endif %}{% empty %}—{% endfor %}</td>
      <td>{{ referral.get_status_display }}{% if referral.is_editable_by_physician %} · <a href="{% url 'patients:referral-edit' referral.pk %}">edit</a>{% endif %}</td>
      <td>{% include "patients/_recommendation_badge.html" with recommendation=referral.recommendation %}{% if referral.flagged %} <span class="badge text-bg-warning">flagged</span>{% endif %}</td>
      <td><time datetime="{{ referral.updated_at|date:'c' }}">{{ referral.updated_at|date:"Y-m-d H:i" }}</time></td>
    </tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
NEW_ROWS = "{% load patient_lists %}\n    {% referral_rows rows %}\n"
FORMER_PATIENT_ROWS = """
    {% for patient in patients %}
    <tr>
      <td><a href="{{ patient.get_absolute_url }}">{{ patient.family_name }}, {{ patient.given_name }}</a></td>
      <td>{{ patient.mrn }}</td>
      <td>{{ patient.date_of_birth|date:"Y-m-d" }}</td>
      <td>{{ patient.referral_count }}</td>
      <td><a class="btn btn-sm btn-outline-primary" href="{% url 'patients:referral-create' patient.pk %}">New referral</a></td>
    </tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
NEW_PATIENT_ROWS = "{% load patient_lists %}\n    {% patient_rows rows %}\n"


@pytest.fixture
def referrals(physician, make_patient, make_referral):
    today = timezone.localdate()
    two_levels = eligible_case(today)
    two_levels["levels"].append(dict(two_levels["levels"][0], level="L4"))
    made = [
        make_referral(make_patient(physician, family_name="O'Brien & <Sons>"), physician),
        make_referral(make_patient(physician), physician, eligible_case(today)),
        make_referral(make_patient(physician, given_name='"Quoted"'), physician, two_levels),
    ]
    Referral.objects.filter(pk=made[1].pk).update(
        status=Referral.Status.SUBMITTED, recommendation="review", flagged=True
    )
    Referral.objects.filter(pk=made[2].pk).update(
        status=Referral.Status.INFORMATION_REQUESTED,
        recommendation="not_eligible",
        updated_at=datetime(2026, 3, 29, 0, 30, 5, 120, tzinfo=UTC),
    )
    return made


@pytest.mark.parametrize("zone", ["UTC", "Europe/Rome"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_rows_are_the_former_loops_markup_exactly(physician, referrals, zone, autoescape):
    with timezone.override(zone):
        listed = list(selectors.referral_list(user=physician))
        former = Template(FORMER_ROWS).render(Context({"referrals": listed}, autoescape=autoescape))
        rows = views._referral_rows(selectors.referral_list(user=physician))
        new = Template(NEW_ROWS).render(Context({"rows": rows}, autoescape=autoescape))
    assert new == former
    assert "O&#x27;Brien &amp; &lt;Sons&gt;" in new or not autoescape
    assert "L2, L4" in new and "—" in new and "flagged" in new and "edit" in new


def test_row_links_are_the_reversed_urls(physician, referrals):
    rows = views._referral_rows(selectors.referral_list(user=physician))
    by_pk = {row["pk"]: row for row in rows}
    for referral in referrals:
        row = by_pk[referral.pk]
        assert row["url"] == reverse("patients:referral-detail", args=[referral.pk])
    editable = Referral.objects.filter(status__in=["draft", "information_requested"])
    assert {pk for pk, row in by_pk.items() if row["edit_url"]} == {r.pk for r in editable}
    for referral in editable:
        assert by_pk[referral.pk]["edit_url"] == reverse(
            "patients:referral-edit", args=[referral.pk]
        )


def test_my_referrals_page_lists_the_rows(physician_client, referrals):
    response = physician_client.get(reverse("patients:referral-list"))
    assert "O&#x27;Brien &amp; &lt;Sons&gt;, Given" in response.content.decode()
    html = page(response)
    assert html.count('data-referral="') == 3
    assert "not evaluated" in html and "Information requested" in html
    assert "2026-03-29 00:30" in html and 'datetime="2026-03-29T00:30:05.000120+00:00"' in html


@pytest.mark.parametrize("autoescape", [True, False])
def test_patient_rows_are_the_former_loops_markup_exactly(physician, referrals, autoescape):
    listed = list(selectors.patient_list(user=physician))
    former = Template(FORMER_PATIENT_ROWS).render(
        Context({"patients": listed}, autoescape=autoescape)
    )
    new = Template(NEW_PATIENT_ROWS).render(
        Context({"rows": views._patient_rows(listed)}, autoescape=autoescape)
    )
    assert new == former
    assert new.count("<tr>") == 3 and "1946-03-14" in new


def test_my_patients_page_lists_the_rows(physician_client, physician, referrals):
    response = physician_client.get(reverse("patients:patient-list"))
    html = response.content.decode()
    assert "O&#x27;Brien &amp; &lt;Sons&gt;, Given" in html
    for referral in referrals:
        assert reverse("patients:referral-create", args=[referral.patient_id]) in html
        assert reverse("patients:patient-detail", args=[referral.patient_id]) in html
