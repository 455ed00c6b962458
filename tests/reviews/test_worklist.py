import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from eligibility.models import Evaluation
from patients.models import Patient, Referral, TargetLevel
from reviews import services
from reviews.models import ReasonCode
from reviews.services import referral_claim
from tests.factories import record_decision
from tests.reviews.conftest import accept_over_infection

pytestmark = pytest.mark.django_db

WORKLIST = reverse("reviews:worklist")


def row_ids(response) -> list[int]:
    return [row["pk"] for row in response.context["rows"]]


def age(referral, *, days: int) -> None:
    Referral.objects.filter(pk=referral.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=days)
    )


def test_worklist_puts_flagged_first_then_incomplete_eligible_not_eligible_oldest_first(
    radiologist_client, submitted
):
    eligible_new = submitted("eligible")
    not_eligible = submitted("not_eligible")
    eligible_old = submitted("eligible")
    incomplete = submitted("incomplete")
    flagged_new = submitted("review")
    flagged_old = submitted("two_levels")  # eligible overall, but flagged
    for referral, days in [(eligible_old, 5), (flagged_old, 3), (eligible_new, 1)]:
        age(referral, days=days)

    response = radiologist_client.get(WORKLIST)

    assert response.status_code == 200
    assert row_ids(response) == [
        flagged_old.pk,
        flagged_new.pk,
        incomplete.pk,
        eligible_old.pk,
        eligible_new.pk,
        not_eligible.pk,
    ]


def test_worklist_lists_only_referrals_waiting_for_a_radiologist(
    radiologist_client, submitted, physician, radiologist
):
    from tests.factories import make_referral

    draft = make_referral(physician=physician)
    waiting = submitted("eligible")
    claimed = submitted("eligible")
    referral_claim(referral=claimed, by=radiologist)
    declined = submitted("eligible")
    record_decision(
        declined,
        by=radiologist,
        outcome="decline",
        reason_code=ReasonCode.objects.get(code="pain-controlled"),
        comment="Declined although eligible.",
        override_reason=ReasonCode.objects.get(code="clinical-judgement"),
    )

    ids = row_ids(radiologist_client.get(WORKLIST))

    assert set(ids) == {waiting.pk, claimed.pk}
    assert draft.pk not in ids and declined.pk not in ids


def test_worklist_row_shows_patient_levels_badge_relative_contraindications_and_physician(
    radiologist_client, submitted
):
    submitted("two_levels", family_name="Moreau", given_name="Jeanne", mrn="MRN-77")

    html = radiologist_client.get(WORKLIST).content.decode()

    assert "Moreau, Jeanne" in html and "MRN-77" in html
    assert ">L1<" in html and ">L2<" in html
    assert 'data-recommendation="eligible"' in html and 'data-testid="flagged"' in html
    assert "L1 retropulsion &gt; 20%" in html
    assert "Dr-A Tester" in html


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"recommendation": "incomplete"}, {"incomplete"}),
        ({"recommendation": "review"}, {"review"}),
        ({"status": "under_review"}, {"not_eligible"}),
        ({"status": "submitted"}, {"eligible", "incomplete", "review", "two_levels"}),
        ({"level": "L1"}, {"review", "two_levels"}),
        ({"assigned_to_me": "on"}, {"not_eligible"}),
        ({"submitted_from": "2000-01-01", "submitted_to": "2000-01-31"}, {"eligible"}),
    ],
)
def test_worklist_filters_narrow_the_list(
    radiologist_client, submitted, radiologist, filters, expected
):
    made = {kind: submitted(kind) for kind in ["eligible", "incomplete", "review", "two_levels"]}
    made["not_eligible"] = submitted("not_eligible")
    referral_claim(referral=made["not_eligible"], by=radiologist)
    Referral.objects.filter(pk=made["eligible"].pk).update(
        submitted_at=dt.datetime(2000, 1, 15, 12, tzinfo=dt.UTC)
    )

    response = radiologist_client.post(WORKLIST, filters, follow=True)

    assert response.status_code == 200
    assert set(row_ids(response)) == {made[kind].pk for kind in expected}


def test_worklist_search_by_name_or_mrn_is_posted_and_never_in_the_url(
    radiologist_client, submitted
):
    deramond = submitted("eligible", family_name="Deramond", mrn="MRN-4242")
    submitted("eligible", family_name="Galibert", mrn="MRN-1111")

    by_name = radiologist_client.post(WORKLIST, {"search": "deram"}, follow=True)
    by_mrn = radiologist_client.post(WORKLIST, {"search": "mrn-4242"}, follow=True)
    assert by_mrn.redirect_chain == [(WORKLIST, 302)]  # the search is not in the URL
    radiologist_client.post(reverse("reviews:worklist-clear"))
    in_query_string = radiologist_client.get(WORKLIST, {"search": "Deramond"})

    assert row_ids(by_name) == [deramond.pk]
    assert row_ids(by_mrn) == [deramond.pk]
    assert len(row_ids(in_query_string)) == 2  # GET parameters are ignored
    html = radiologist_client.get(WORKLIST).content.decode()
    assert 'method="post"' in html and "?search" not in html


def test_worklist_with_htmx_returns_only_the_results(radiologist_client, submitted):
    submitted("review")

    response = radiologist_client.post(
        WORKLIST, {"recommendation": "review"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="worklist"' in html and "<html" not in html


def test_worklist_rejects_a_reversed_date_range_next_to_the_field(radiologist_client):
    response = radiologist_client.post(
        WORKLIST, {"submitted_from": "2026-02-01", "submitted_to": "2026-01-01"}
    )

    assert response.status_code == 400
    assert "before its start" in response.context["form"].errors["submitted_to"][0]


def test_other_roles_cannot_open_the_worklist(client, physician, clinic_staff):
    for user in (physician, clinic_staff):
        client.force_login(user)
        assert client.get(WORKLIST).status_code == 403
        assert client.post(WORKLIST, {"search": "x"}).status_code == 403


def _bulk_referrals(physician, template: Evaluation, count: int) -> None:
    """Create `count` submitted referrals with evaluations and levels, in a few queries."""
    clinic = Patient.objects.first().clinic
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=clinic,
            mrn=f"BULK{i:05d}",
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            date_of_birth=dt.date(1940, 1, 1),
            sex="female",
            created_by=physician,
        )
        for i in range(count)
    )
    kinds = [("review", True), ("incomplete", False), ("eligible", False), ("not_eligible", False)]
    now = timezone.now()
    referrals = Referral.objects.bulk_create(
        Referral(
            patient=patient,
            physician=physician,
            status=Referral.Status.SUBMITTED,
            recommendation=kinds[i % 4][0],
            flagged=kinds[i % 4][1],
            submitted_at=now - dt.timedelta(minutes=i),
        )
        for i, patient in enumerate(patients)
    )
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(
            referral=referral,
            referral_version=1,
            ruleset_version=template.ruleset_version,
            case=template.case,
            result=template.result,
            recommendation=referral.recommendation,
            flagged=referral.flagged,
            created_by=physician,
        )
        for referral in referrals
    )
    for referral, evaluation in zip(referrals, evaluations, strict=True):
        referral.latest_evaluation = evaluation
    Referral.objects.bulk_update(referrals, ["latest_evaluation"], batch_size=500)
    TargetLevel.objects.bulk_create(TargetLevel(referral=r, level="L1") for r in referrals)


def test_worklist_query_count_does_not_grow_with_1000_referrals(
    client, make_user, physician, submitted, django_assert_num_queries
):
    radiologist = make_user(Role.RADIOLOGIST, username="ir-count")
    client.force_login(radiologist)
    template = submitted("two_levels").latest_evaluation
    filters = {"level": "L1", "page": "3"}
    htmx = {"HX-Request": "true"}
    client.post(WORKLIST, filters, headers=htmx)  # warm the session
    with CaptureQueriesContext(connection) as with_one_row:
        client.post(WORKLIST, filters, headers=htmx)

    _bulk_referrals(physician, template, 1000)
    with django_assert_num_queries(len(with_one_row)):
        response = client.post(WORKLIST, filters, headers=htmx)

    assert response.context["page"].paginator.count == 1001
    assert len(response.context["rows"]) == 25
    assert len(with_one_row) <= 10


def test_worklist_pages_through_the_list(radiologist_client, submitted, monkeypatch):
    monkeypatch.setattr("reviews.views.PAGE_SIZE", 2)
    made = [submitted("eligible") for _ in range(5)]
    for days, referral in enumerate(reversed(made)):
        age(referral, days=days + 1)

    first = radiologist_client.get(WORKLIST)
    third = radiologist_client.post(WORKLIST, {"page": "3"}, follow=True)

    # made[0] waits longest (5 days), made[4] least (1 day).
    assert row_ids(first) == [made[0].pk, made[1].pk]
    assert row_ids(third) == [made[4].pk]
    assert 'name="page" value="2"' in first.content.decode()


# --- Filters kept in the session, sort, counts --------------------------------------------


def test_worklist_filters_are_kept_in_the_session_for_back_and_reload(
    radiologist_client, submitted
):
    moreau = submitted("eligible", family_name="Moreau")
    submitted("eligible", family_name="Haddad")

    posted = radiologist_client.post(WORKLIST, {"search": "moreau"})
    reloaded = radiologist_client.get(WORKLIST)

    assert posted.status_code == 302 and posted["Location"] == WORKLIST
    assert row_ids(reloaded) == [moreau.pk]
    assert reloaded.context["form"]["search"].value() == "moreau"
    assert "moreau" not in posted["Location"]


def test_clearing_the_filters_shows_the_whole_queue_again(radiologist_client, submitted):
    moreau = submitted("eligible", family_name="Moreau")
    haddad = submitted("eligible", family_name="Haddad")
    radiologist_client.post(WORKLIST, {"search": "moreau", "sort": "-patient"})

    cleared = radiologist_client.post(reverse("reviews:worklist-clear"), follow=True)

    assert set(row_ids(cleared)) == {moreau.pk, haddad.pk}
    assert not cleared.context["form"].is_bound
    assert "sort-button" in cleared.content.decode()


def test_clear_filters_needs_the_radiologist_role(client, physician):
    client.force_login(physician)
    assert client.post(reverse("reviews:worklist-clear")).status_code == 403


@pytest.mark.parametrize(
    ("sort", "expected", "aria"),
    [
        ("patient", ["Ardent", "Berger", "Colin"], 'aria-sort="ascending"'),
        ("-patient", ["Colin", "Berger", "Ardent"], 'aria-sort="descending"'),
    ],
)
def test_a_header_button_sorts_the_worklist_and_marks_aria_sort(
    radiologist_client, submitted, sort, expected, aria
):
    for name in ["Berger", "Colin", "Ardent"]:
        submitted("eligible", family_name=name)

    response = radiologist_client.post(WORKLIST, {"sort": sort}, headers={"HX-Request": "true"})

    assert [row["family_name"] for row in response.context["rows"]] == expected
    html = response.content.decode()
    header = html.split('data-testid="sort-patient"', 1)[0].rsplit("<th", 1)[1]
    assert aria in header
    assert html.count("aria-sort=") == 1  # only the sorted column
    next_sort = "-patient" if sort == "patient" else "patient"
    assert f'name="sort" value="{next_sort}"' in html


def test_sort_by_age_puts_the_youngest_first_and_the_sort_survives_a_filter_change(
    radiologist_client, submitted
):
    old = submitted("eligible", date_of_birth=dt.date(1931, 5, 1))
    young = submitted("eligible", date_of_birth=dt.date(1960, 5, 1))
    middle = submitted("not_eligible", date_of_birth=dt.date(1945, 5, 1))
    htmx = {"HX-Request": "true"}

    by_age = radiologist_client.post(WORKLIST, {"sort": "age"}, headers=htmx)
    filtered = radiologist_client.post(WORKLIST, {"recommendation": "eligible"}, headers=htmx)

    assert row_ids(by_age) == [young.pk, middle.pk, old.pk]
    assert row_ids(filtered) == [young.pk, old.pk]  # no sort posted: the kept one applies
    assert [row["age"] for row in by_age.context["rows"]][0] < by_age.context["rows"][2]["age"]


def test_the_default_order_stays_flagged_first_with_the_recommendation_header_ascending(
    radiologist_client, submitted
):
    eligible = submitted("eligible")
    flagged = submitted("review")

    response = radiologist_client.get(WORKLIST)

    assert row_ids(response) == [flagged.pk, eligible.pk]
    html = response.content.decode()
    header = html.split('data-testid="sort-recommendation"', 1)[0].rsplit("<th", 1)[1]
    assert 'aria-sort="ascending"' in header
    assert 'data-testid="queue-order"' not in html


def test_an_unknown_sort_key_is_a_400_naming_the_field(radiologist_client):
    response = radiologist_client.post(
        WORKLIST, {"sort": "password"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "sort" in response.context["form"].errors


def test_worklist_counts_each_status(radiologist_client, submitted, radiologist, radiologist2):
    submitted("eligible")
    submitted("eligible")
    claimed = submitted("eligible")
    referral_claim(referral=claimed, by=radiologist)
    pending = submitted("not_eligible")
    accept_over_infection(pending, radiologist, claim=True)
    refused = submitted("not_eligible")
    decision = accept_over_infection(refused, radiologist, claim=True)
    services.decision_countersign_refuse(decision=decision, by=radiologist2, reason="No.")

    response = radiologist_client.post(
        WORKLIST, {"status": "submitted"}, follow=True
    )  # the counts are of the whole worklist, whatever the filters

    counts = response.context["counts"]
    assert (counts.total, counts.submitted, counts.under_review) == (5, 2, 3)
    assert (counts.pending_countersignature, counts.countersignature_refused) == (1, 1)
    html = response.content.decode()
    assert '<strong data-count="submitted">2</strong>' in html
    assert '<strong data-count="countersignature_refused">1</strong>' in html
