"""The unfiltered dashboard reads the cohort's tally, kept by the services that record: its
figures are the live computation's."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes import invitations
from outcomes.cohort import (
    CohortFilters,
    cohort_counts,
    cohort_name,
    cohort_procedures,
    cohort_report,
    report_of,
    tallied_counts,
)
from outcomes.models import CohortTally, FollowUp, Procedure, TreatedLevel
from outcomes.services.tallies import cohort_tally_kept

from .test_patient_reported_views import answer, run_on

pytestmark = pytest.mark.django_db


def live_counts(filters: CohortFilters | None = None):
    return cohort_counts(cohort_procedures(filters or CohortFilters()))


def every_kept_cohort_is_as_counted_live() -> None:
    """Each cohort the tally keeps (and each that the levels recorded select) has the counts
    the dashboard would count live."""
    kept = set(CohortTally.objects.values_list("cohort", flat=True))
    for etiology, level in TreatedLevel.objects.values_list("etiology", "level"):
        kept |= {cohort_name(level=level), cohort_name(etiology=etiology)}
        kept.add(cohort_name(etiology, level))
    for name in kept | {""}:
        parts = dict(part.split("=") for part in name.split("&") if part)
        filters = CohortFilters(etiology=parts.get("etiology", ""), level=parts.get("level", ""))
        assert tallied_counts(name) == live_counts(filters), name


@pytest.fixture
def recorded_cohort(consenting, record_follow_up, radiologist, today):
    """Procedures, follow-ups, invitations and answers, each recorded through its service."""
    procedures = [
        consenting(),
        consenting(family_name="Leak"),
        consenting(family_name="Calm"),
    ]
    record_follow_up(procedures[0], "day_1", 3)
    record_follow_up(procedures[1], "day_1", 5)
    record_follow_up(procedures[2], "day_1", 7)
    run_on(today, 7)  # invitations to the week-1 questionnaires
    answer(procedures[0], pain_now="2")
    invitations.follow_up_mark_called(
        follow_up=procedures[1].follow_ups.get(interval="week_1"),
        by=radiologist,
        now=timezone.now(),
    )
    answer(procedures[1], pain_now="")
    return procedures


def test_the_tally_holds_the_live_counts_after_every_kind_of_recording(
    recorded_cohort, record_procedure, accepted
):
    record_procedure(
        accepted(family_name="Leakage"),
        had_complications=True,
        leakage_sites=["venous"],
        leakage_symptomatic=True,
        volumes={"L2": Decimal("6.5")},
    )

    every_kept_cohort_is_as_counted_live()
    assert {measure for measure, _value in tallied_counts()} == {
        "procedure",
        "pain",
        "cement",
        "invited",
        "report",
    }


def test_the_unfiltered_dashboard_from_the_tally_equals_the_live_computation(recorded_cohort):
    live = report_of(live_counts())

    with CaptureQueriesContext(connection) as queries:
        tallied = cohort_report(CohortFilters())

    assert tallied == live
    assert tallied.procedures == 3
    assert [query["sql"] for query in queries if "outcomes_followup" in query["sql"]] == []
    assert len(queries) == 1


def test_rebuilding_restores_a_tally_that_went_wrong(recorded_cohort):
    CohortTally.objects.filter(measure="pain").update(count=99)
    CohortTally.objects.filter(measure="cement").delete()
    assert tallied_counts() != live_counts()

    call_command("cohort_tally_rebuild", verbosity=0)

    every_kept_cohort_is_as_counted_live()


def test_a_correction_of_a_procedure_is_followed_by_the_tally(recorded_cohort):
    procedure = recorded_cohort[0]

    with cohort_tally_kept(procedure.pk):
        FollowUp.objects.filter(procedure=procedure, interval="day_1").update(pain_nrs=9)
        Procedure.objects.filter(pk=procedure.pk).update(had_complications=True)
        TreatedLevel.objects.filter(procedure=procedure).update(etiology="metastasis", level="T9")

    every_kept_cohort_is_as_counted_live()
    assert tallied_counts("etiology=metastasis&level=T9")


def test_the_dashboard_page_shows_the_same_figures_with_and_without_a_filter_that_keeps_all(
    client, radiologist, recorded_cohort, today
):
    client.force_login(radiologist)

    unfiltered = client.get(reverse("outcomes:dashboard")).context["report"]
    everything = client.get(
        reverse("outcomes:dashboard"), {"performed_to": today.isoformat()}
    ).context["report"]

    assert unfiltered == everything


def test_the_dashboard_filtered_by_etiology_or_level_reads_the_tally_and_by_date_counts_live(
    client, radiologist, recorded_cohort, today
):
    client.force_login(radiologist)
    filters = {"etiology": "osteoporosis", "level": "L2"}

    with CaptureQueriesContext(connection) as kept:
        by_level = client.get(reverse("outcomes:dashboard"), filters).context["report"]
    with CaptureQueriesContext(connection) as live:
        by_date = client.get(
            reverse("outcomes:dashboard"), {**filters, "performed_from": today.isoformat()}
        ).context["report"]

    assert by_level == report_of(live_counts(CohortFilters(**filters)))
    assert by_level.procedures == 3
    assert by_date == by_level
    assert not [q for q in kept.captured_queries if "outcomes_followup" in q["sql"]]
    assert [q for q in live.captured_queries if "outcomes_followup" in q["sql"]]


@pytest.fixture
def superuser_client(client, make_user):
    """The test client as a superuser with a verified second factor (the admin wants both)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = make_user(superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_a_procedure_deleted_in_the_admin_leaves_the_tally(
    superuser_client, recorded_cohort, accepted, record_procedure, record_follow_up
):
    mistaken = record_procedure(accepted(family_name="Mistaken"))
    record_follow_up(mistaken, "day_1", 2)
    url = reverse("admin:outcomes_procedure_delete", args=[mistaken.pk])

    response = superuser_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Procedure.objects.filter(pk=mistaken.pk).exists()
    every_kept_cohort_is_as_counted_live()
    assert cohort_report(CohortFilters()).procedures == 3


def _form_data(form) -> dict:
    """A bound-ready copy of a form's current values, as the browser would post them."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[form.add_prefix(name)] = [str(item) for item in value]
        elif isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
        else:
            data[form.add_prefix(name)] = str(value)
    return data


def test_a_correction_in_the_admin_is_followed_by_the_tally(superuser_client, recorded_cohort):
    procedure = recorded_cohort[0]
    url = reverse("admin:outcomes_procedure_change", args=[procedure.pk])
    page = superuser_client.get(url)
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    follow_ups = next(
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is FollowUp
    )
    day_1 = next(form for form in follow_ups.forms if form.instance.interval == "day_1")
    data[day_1.add_prefix("pain_nrs")] = "10"

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert FollowUp.objects.get(procedure=procedure, interval="day_1").pain_nrs == 10
    every_kept_cohort_is_as_counted_live()
