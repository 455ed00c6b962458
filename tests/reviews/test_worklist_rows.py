"""The worklist's rows: worked out in the view, written by a tag, as the template loop wrote
them (whitespace included), escaped the same."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from accounts.roles import Role
from patients.models import Referral
from reviews.services import referral_claim

from .conftest import accept_over_infection

pytestmark = pytest.mark.django_db

WORKLIST = reverse("reviews:worklist")

# The row loop of reviews/_worklist_results.html before the tag wrote the rows, verbatim.
FORMER_ROWS = """    {% for row in rows %}
    <tr data-testid="worklist-row" data-referral="{{ row.pk }}">
      <th scope="row" class="fw-normal">
        <a href="{{ row.url }}">{{ row.family_name }}, {{ row.given_name }}</a>
        <div class="small text-body-secondary">MRN {{ row.mrn }}</div>
      </th>
      <td>{% for level, rec in row.levels %}<span class="me-1" title="{{ rec }}">{{ level }}</span>{% endfor %}</td>
      <td>{% if row.flagged %}<span class="badge text-bg-warning me-1" data-testid="flagged">Flagged</span>{% endif %}{{ row.badge }}</td>
      <td class="small">{{ row.relative_contraindications }}</td>
      <td>{{ row.physician }}</td>
      <td><time datetime="{{ row.submitted_at }}">{{ row.waiting }}</time></td>
      <td class="small">
        {% if row.pending_countersignature %}<span class="badge text-bg-danger">Override pending countersignature</span>
        {% elif row.status == "under_review" %}Under review{% if row.radiologist %} by {{ row.radiologist }}{% endif %}
        {% else %}{{ row.status_display }}{% if row.radiologist %} (for {{ row.radiologist }}){% endif %}{% endif %}
      </td>
    </tr>
    {% empty %}
    <tr><td colspan="7" class="text-center text-body-secondary py-4">No referral is waiting{% if form.is_bound %} with these filters{% endif %}.</td></tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
NEW_ROWS = """{% load reviews_tags %}    {% worklist_table_rows rows %}{% if not rows %}
    <tr><td colspan="7" class="text-center text-body-secondary py-4">No referral is waiting{% if form.is_bound %} with these filters{% endif %}.</td></tr>
    {% endif %}
"""  # noqa: E501 - the template's lines


@pytest.fixture
def every_kind_of_row(submitted, radiologist, radiologist2, make_user):
    """Rows of each status column: waiting, under review (claimed), submitted but assigned
    (back from an information request), an override pending countersignature; names that
    need escaping; a flagged two-level referral with a relative contraindication."""
    submitted("eligible", family_name="O'Brien & <Sons>", given_name='"Quoted"')
    claimed = submitted("two_levels")
    referral_claim(referral=claimed, by=radiologist2)
    returned = submitted("review")
    Referral.objects.filter(pk=returned.pk).update(assigned_radiologist=radiologist)
    pending = submitted("not_eligible")
    accept_over_infection(pending, radiologist, claim=True)
    submitted("incomplete", by=make_user(Role.PHYSICIAN, first_name="", last_name=""))


@pytest.mark.parametrize("autoescape", [True, False])
def test_worklist_rows_are_the_former_loops_markup_exactly(
    radiologist_client, every_kind_of_row, autoescape
):
    rows = radiologist_client.get(WORKLIST).context["rows"]
    assert len(rows) == 5
    context = {"rows": rows, "form": None}
    former = Template(FORMER_ROWS).render(Context(context, autoescape=autoescape))
    new = Template(NEW_ROWS).render(Context(context, autoescape=autoescape))
    assert new == former
    if autoescape:
        assert "O&#x27;Brien &amp; &lt;Sons&gt;, &quot;Quoted&quot;" in new
    for text in ("Flagged", "Override pending countersignature", "Under review by Hugo Lambert"):
        assert text in new
    assert "Submitted (for " in new


@pytest.mark.parametrize("bound", [True, False])
def test_an_empty_worklist_says_so_as_before(bound):
    form = type("Form", (), {"is_bound": bound})()
    context = Context({"rows": [], "form": form})
    former = Template(FORMER_ROWS).render(context)
    assert Template(NEW_ROWS).render(context) == former
    assert ("with these filters" in former) is bound
