"""What the worklist and the referrer's decision boxes do to stay cheap, and that they still
show the same: precomputed rows, the cached override table, the filter fields rendered once,
EXISTS instead of joins."""

import datetime as dt
import time

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.timesince import timesince

from eligibility.engine import RULES_BY_ID
from patients.models import Referral
from reviews import selectors
from reviews.forms import WorklistFilterForm
from reviews.models import Countersignature, ReasonCode, ReviewDecision
from reviews.services import (
    decision_countersign,
    decision_countersign_refuse,
    decision_record,
    referral_claim,
)
from reviews.templatetags import reviews_tags
from tests.factories import record_decision
from tests.plans import query_plan

from .conftest import accept_over_infection

pytestmark = pytest.mark.django_db

WORKLIST = reverse("reviews:worklist")


def code(slug: str) -> ReasonCode:
    return ReasonCode.objects.get(code=slug)


def rows_by_pk(response) -> dict[int, dict]:
    return {row["pk"]: row for row in response.context["rows"]}


def accept_over_retropulsion(referral, radiologist, **extra):
    """An accepted override of RCI-RETROPULSION on a "review" or "two_levels" referral."""
    return record_decision(
        referral,
        by=radiologist,
        outcome="accept",
        levels_to_treat=["L1"],
        override_reason=code("imaging-reviewed"),
        comment="Fragment stable on CT.",
        **extra,
    )


def decline_correcting(referral, wrong, radiologist):
    """A correction of `wrong`: the referral declined (no acute fracture on MRI)."""
    return record_decision(
        referral,
        by=radiologist,
        outcome="decline",
        reason_code=code("no-acute-fracture-on-mri"),
        supersedes=wrong,
    )


# --- Rows -----------------------------------------------------------------------------------


def test_worklist_rows_hold_what_each_row_shows(radiologist_client, submitted, physician):
    referral = submitted("two_levels", family_name="Moreau", given_name="Jeanne", mrn="MRN-77")

    response = radiologist_client.get(WORKLIST)

    row = rows_by_pk(response)[referral.pk]
    referral.refresh_from_db()
    assert row["url"] == reverse("reviews:review", args=[referral.pk])
    assert (row["family_name"], row["given_name"], row["mrn"]) == ("Moreau", "Jeanne", "MRN-77")
    assert row["levels"] == [("L1", "review"), ("L2", "eligible")]
    assert row["flagged"] is True
    assert row["recommendation"] == "eligible"
    assert row["relative_contraindications"] == ["L1 retropulsion > 20%"]
    assert row["physician"] == physician.get_full_name()
    assert row["submitted_at"] == referral.submitted_at
    html = response.content.decode()
    assert f'<a href="{row["url"]}">Moreau, Jeanne</a>' in html
    assert f'<time datetime="{referral.submitted_at.isoformat()}">' in html
    waiting = timesince(referral.submitted_at, response.context["now"])
    assert f">{waiting}</time>" in html
    assert '<span class="me-1" title="Review">L1</span>' in html


def test_worklist_row_without_relative_contraindications_shows_a_dash(
    radiologist_client, submitted
):
    referral = submitted("eligible")

    response = radiologist_client.get(WORKLIST)

    assert rows_by_pk(response)[referral.pk]["relative_contraindications"] == []
    assert '<td class="small">—</td>' in response.content.decode()


def test_worklist_status_column_names_the_radiologist_and_a_pending_countersignature(
    radiologist_client, submitted, radiologist, radiologist2
):
    waiting = submitted("eligible")
    claimed = submitted("eligible")
    referral_claim(referral=claimed, by=radiologist2)
    returned = submitted("eligible")  # back from an information request: still assigned
    Referral.objects.filter(pk=returned.pk).update(assigned_radiologist=radiologist)
    pending = submitted("not_eligible")
    referral_claim(referral=pending, by=radiologist)
    accept_over_infection(pending, radiologist)

    response = radiologist_client.get(WORKLIST)

    rows = rows_by_pk(response)
    html = response.content.decode()
    assert rows[waiting.pk]["radiologist"] is None
    assert rows[claimed.pk]["radiologist"] == "Hugo Lambert"
    assert rows[returned.pk]["radiologist"] == radiologist.get_full_name()
    assert rows[pending.pk]["pending_countersignature"] is True
    assert not any(rows[r.pk]["pending_countersignature"] for r in (waiting, claimed, returned))
    assert "Under review by Hugo Lambert" in html
    assert f"Submitted (for {radiologist.get_full_name()})" in html
    assert html.count("Override pending countersignature</span>") == 1


def test_a_user_without_a_full_name_appears_by_username(radiologist_client, submitted, make_user):
    from accounts.roles import Role

    nameless = make_user(Role.PHYSICIAN, username="dr-nameless", first_name="", last_name="")
    referral = submitted("eligible", by=nameless)

    response = radiologist_client.get(WORKLIST)

    assert rows_by_pk(response)[referral.pk]["physician"] == "dr-nameless"


def test_the_pending_countersignature_filter_lists_only_overrides_waiting_for_one(
    radiologist_client, submitted, radiologist, radiologist2
):
    pending = submitted("not_eligible")
    referral_claim(referral=pending, by=radiologist)
    accept_over_infection(pending, radiologist)
    signed = submitted("not_eligible")
    referral_claim(referral=signed, by=radiologist)
    decision = accept_over_infection(signed, radiologist)
    decision_countersign(decision=decision, by=radiologist2)
    other = submitted("eligible")
    referral_claim(referral=other, by=radiologist)

    response = radiologist_client.post(
        WORKLIST, {"status": "pending_countersignature"}, follow=True
    )

    assert [row["pk"] for row in response.context["rows"]] == [pending.pk]


def test_worklist_counts_and_countersignature_filter_read_the_decisions_once(
    radiologist_client, submitted, radiologist
):
    # A correlated EXISTS in the counts ran once per waiting referral (~17 ms of database
    # CPU on the 20,000-referral bench); in the filter it made PostgreSQL join every waiting
    # referral before keeping the few (docs/performance.md, items 14 and 15).
    pending = submitted("not_eligible")
    referral_claim(referral=pending, by=radiologist)
    accept_over_infection(pending, radiologist)
    submitted("eligible")

    with CaptureQueriesContext(connection) as queries:
        counts = selectors.worklist_counts()
    assert (counts.total, counts.pending_countersignature) == (2, 1)
    assert len(queries) == 1
    assert "EXISTS" not in queries[0]["sql"]

    with CaptureQueriesContext(connection) as queries:
        response = radiologist_client.post(
            WORKLIST, {"status": "pending_countersignature"}, headers={"HX-Request": "true"}
        )
    assert [row["pk"] for row in response.context["rows"]] == [pending.pk]
    count_query = next(q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)"))
    assert "= ANY(ARRAY(SELECT" in count_query
    assert "EXISTS" not in count_query


def test_worklist_rows_read_countersignature_states_for_the_pages_referrals_only(
    radiologist_client, submitted, radiologist, radiologist2
):
    """As EXISTS columns of the page's query, PostgreSQL hashed every decision that ever
    needed a countersignature (28 ms of the page at ten years); now one query asks about the
    page's referrals, and the rows say the same."""
    plain = submitted("eligible")
    pending = submitted("not_eligible")
    accept_over_infection(pending, radiologist, claim=True)
    refused = submitted("not_eligible")
    decision = accept_over_infection(refused, radiologist, claim=True)
    decision_countersign_refuse(decision=decision, by=radiologist2, reason="No.")
    signed = submitted("not_eligible")
    decision_countersign(
        decision=accept_over_infection(signed, radiologist, claim=True), by=radiologist2
    )

    with CaptureQueriesContext(connection) as queries:
        response = radiologist_client.post(WORKLIST, {"search": ""}, headers={"HX-Request": "true"})

    states = {
        pk: (row["pending_countersignature"], row["countersignature_refused"])
        for pk, row in rows_by_pk(response).items()
    }
    assert states == {
        plain.pk: (False, False),
        pending.pk: (True, False),
        refused.pk: (False, True),
    }  # the countersigned accept has left the worklist
    page_query = next(q["sql"] for q in queries if '"family_name" AS "family_name"' in q["sql"])
    assert "EXISTS" not in page_query
    state_query = next(
        q["sql"] for q in queries if '"reviews_reviewdecision"."referral_id" IN' in q["sql"]
    )
    assert str(plain.pk) in state_query and str(refused.pk) in state_query


def test_worklist_counts_can_be_read_from_two_indexes_alone(submitted, radiologist):
    """At ten years the counts visited 19,790 waiting referrals' rows and 7,230 decisions'
    rows (35 ms); each now has an index holding what the count reads (14 ms). Whether
    PostgreSQL skips the rows (an index-only scan) depends on the table being vacuumed,
    which a test's fresh rows are not: the test shows the indexes serve the count."""
    accept_over_infection(submitted("not_eligible"), radiologist, claim=True)
    with CaptureQueriesContext(connection) as queries:
        selectors.worklist_counts()
    (count,) = queries.captured_queries
    # On a table of one row the worklist's queue index, partial on the same waiting
    # statuses, costs the planner as much as the count's own, and which one it takes depends
    # on what earlier tests left in the table's statistics: set it aside (the test's
    # transaction rolls the DROP back) to show the count's own index serves it.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX referral_worklist_queue")
    # A tiny test table: leave the planner nothing but index scans, to show these apply.
    plan = query_plan(count["sql"], without=("seqscan", "bitmapscan", "mergejoin"))

    assert "using referral_waiting_status" in plan
    assert "using decision_countersign_ids" in plan


def test_worklist_rows_load_no_password_hash_answers_or_case(
    radiologist_client, submitted, radiologist
):
    referral = submitted("two_levels")
    referral_claim(referral=referral, by=radiologist)

    with CaptureQueriesContext(connection) as queries:
        radiologist_client.post(WORKLIST, {"search": ""}, headers={"HX-Request": "true"})

    page_query = next(q["sql"] for q in queries if '"family_name" AS "family_name"' in q["sql"])
    assert '"password"' not in page_query
    assert '"case"' not in page_query
    assert '"patients_referral"."coagulopathy"' not in page_query


# --- Override table -------------------------------------------------------------------------


def test_override_table_counts_current_overrides_per_rule(
    radiologist_client, submitted, radiologist, radiologist2
):
    overridden = submitted("two_levels")
    first = accept_over_retropulsion(overridden, radiologist)
    corrected = submitted("review")
    wrong = accept_over_retropulsion(corrected, radiologist)
    # The correction is no override: the corrected one counts no more.
    decline_correcting(corrected, wrong, radiologist2)
    declined = submitted("eligible")
    record_decision(
        declined,
        by=radiologist,
        outcome="decline",
        reason_code=code("pain-controlled"),
        override_reason=code("clinical-judgement"),
        comment="Pain improved.",
    )

    table = radiologist_client.get(WORKLIST).context["overrides"]

    assert first.overridden_rules == ["RCI-RETROPULSION"]
    assert [(row.rule, row.count) for row in table.rows] == [("RCI-RETROPULSION", 1)]
    assert (table.total, table.declined_eligible) == (2, 1)


def test_override_table_is_served_from_the_cache_without_a_query(
    submitted, radiologist, django_assert_num_queries
):
    accept_over_retropulsion(submitted("review"), radiologist)
    computed = selectors.override_table()

    with django_assert_num_queries(0):
        cached = selectors.override_table()

    assert cached == computed and cached.total == 1


def test_the_full_worklist_page_costs_two_queries_fewer_with_the_table_cached(
    radiologist_client, submitted
):
    submitted("review")
    radiologist_client.get(WORKLIST)  # the session's first request stamps it
    cache.delete(selectors.OVERRIDE_TABLE_CACHE_KEY)

    with CaptureQueriesContext(connection) as computing:
        radiologist_client.get(WORKLIST)
    with CaptureQueriesContext(connection) as cached:
        radiologist_client.get(WORKLIST)

    assert len(cached) == len(computing) - 2


def test_recording_a_decision_refreshes_the_override_table_at_once(
    radiologist_client, submitted, radiologist, django_capture_on_commit_callbacks
):
    referral = submitted("review")
    assert radiologist_client.get(WORKLIST).context["overrides"].total == 0

    with django_capture_on_commit_callbacks(execute=True):
        accept_over_retropulsion(referral, radiologist)

    table = radiologist_client.get(WORKLIST).context["overrides"]
    assert table.total == 1 and table.rows[0].rule == "RCI-RETROPULSION"
    html = radiologist_client.get(WORKLIST).content.decode()
    table_html = html.split('data-testid="override-table"', 1)[1].split("</table>", 1)[0]
    assert escape(RULES_BY_ID["RCI-RETROPULSION"].text) in table_html  # the rule in words
    assert "RCI-RETROPULSION" not in table_html


def test_a_correction_posted_on_the_review_page_refreshes_the_override_table(
    radiologist_client, submitted, radiologist
):
    referral = submitted("review")
    first = accept_over_retropulsion(referral, radiologist)
    assert radiologist_client.get(WORKLIST).context["overrides"].total == 1
    referral.refresh_from_db()

    radiologist_client.post(
        reverse("reviews:decide", args=[referral.pk]),
        {
            "correction-expected_version": referral.version,
            "correction-supersedes": first.pk,
            "correction-outcome": "decline",
            "correction-decline_reason": code("no-acute-fracture-on-mri").pk,
            "correction-comment": "MRI re-read.",
        },
    )

    assert radiologist_client.get(WORKLIST).context["overrides"].total == 0


def test_the_cached_override_table_is_at_most_a_minute_old(
    radiologist_client, submitted, radiologist, physician, monkeypatch
):
    from django.core.cache.backends.locmem import LocMemCache

    assert isinstance(caches["default"], LocMemCache)  # whose clock is patched below
    assert selectors.OVERRIDE_TABLE_SECONDS <= 60
    referral = submitted("review")
    radiologist_client.get(WORKLIST)  # caches the table: no overrides
    referral.refresh_from_db()
    # A decision written behind the service's back (another process, say) is not seen...
    ReviewDecision.objects.create(
        referral=referral,
        evaluation=referral.latest_evaluation,
        referral_version=referral.version,
        outcome="accept",
        levels_to_treat=["L1"],
        is_override=True,
        engine_recommendation="review",
        overridden_rules=["RCI-RETROPULSION"],
        decided_by=radiologist,
    )
    assert radiologist_client.get(WORKLIST).context["overrides"].total == 0

    # ...until the cached table expires.
    later = time.time() + selectors.OVERRIDE_TABLE_SECONDS + 1
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: later)
    assert radiologist_client.get(WORKLIST).context["overrides"].total == 1


class BrokenCache:
    def __getattr__(self, name):
        def broken(*args, **kwargs):
            raise ConnectionError("cache down")

        return broken


def test_a_failing_cache_fails_neither_the_worklist_nor_a_decision(
    radiologist_client, submitted, radiologist, monkeypatch
):
    monkeypatch.setattr(selectors, "cache", BrokenCache())
    referral = submitted("review")

    accept_over_retropulsion(referral, radiologist)
    response = radiologist_client.get(WORKLIST)

    assert response.status_code == 200 and response.context["overrides"].total == 1


# --- Filter fields --------------------------------------------------------------------------


def test_unbound_filter_fields_are_rendered_once_and_the_same_as_a_fresh_rendering(
    monkeypatch,
):
    reviews_tags._UNBOUND_FILTER_FIELDS.clear()
    fresh = reviews_tags._render_filter_fields(WorklistFilterForm())
    renders = []
    real = reviews_tags._render_filter_fields
    monkeypatch.setattr(
        reviews_tags, "_render_filter_fields", lambda form: renders.append(form) or real(form)
    )

    first = reviews_tags.worklist_filter_fields(WorklistFilterForm())
    second = reviews_tags.worklist_filter_fields(WorklistFilterForm())

    assert first == second == fresh
    assert len(renders) == 1
    assert 'id="id_search"' in first and 'name="assigned_to_me"' in first


def test_bound_filter_fields_show_the_values_and_errors(radiologist_client):
    response = radiologist_client.post(
        WORKLIST,
        {"search": "Deramond", "submitted_from": "2026-02-01", "submitted_to": "2026-01-01"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="Deramond"' in html
    assert "The end of the date range is before its start." in html
    again = radiologist_client.get(WORKLIST).content.decode()
    assert 'value="Deramond"' not in again and "before its start" not in again


# --- Decisions for the referrer and on the review page --------------------------------------


def test_recent_decisions_are_the_current_ones_in_effect_newest_first_in_one_query(
    submitted, physician, radiologist, radiologist2, django_assert_num_queries
):
    now = timezone.now()
    declined = submitted("eligible")
    decline = record_decision(
        declined,
        by=radiologist,
        outcome="decline",
        reason_code=code("pain-controlled"),
        override_reason=code("clinical-judgement"),
        comment="Pain improved.",
    )
    pending = submitted("not_eligible")
    accept_over_infection(pending, radiologist)
    signed = submitted("not_eligible")
    countersigned = accept_over_infection(signed, radiologist)
    decision_countersign(decision=countersigned, by=radiologist2)
    corrected = submitted("review")
    wrong = accept_over_retropulsion(corrected, radiologist)
    correction = decline_correcting(corrected, wrong, radiologist2)
    for minutes, decision in enumerate([correction, countersigned, decline]):
        ReviewDecision.objects.filter(pk=decision.pk).update(
            decided_at=now - dt.timedelta(minutes=minutes)
        )

    with django_assert_num_queries(1):
        recent = list(selectors.recent_decisions_in_effect(physician))
        # What the box prints (_decision_words.html), deferred fields included.
        shown = [
            (d.pk, d.referral.patient.family_name, d.reason_code_id, d.reason_label) for d in recent
        ]

    assert [pk for pk, *_ in shown] == [correction.pk, countersigned.pk, decline.pk]
    assert shown[2][3] == decline.reason_label != ""
    assert Countersignature.objects.filter(decision=countersigned).exists()


def test_recent_decisions_show_at_most_five(submitted, physician, radiologist):
    for _ in range(selectors.RECENT_DECISIONS + 1):
        record_decision(
            submitted("eligible"), by=radiologist, outcome="accept", levels_to_treat=["L2"]
        )

    assert len(list(selectors.recent_decisions_in_effect(physician))) == selectors.RECENT_DECISIONS


def test_recent_decisions_walk_every_decision_newest_first_instead_of_sorting_a_physicians(
    submitted, physician, radiologist
):
    """At ten years a physician has ~10,000 decided referrals: sorting all their decisions to
    show five took 86 ms. The newest-first index serves the order, so the query stops at the
    physician's fifth (sorting forbidden, the plan must read the index)."""
    record_decision(submitted("eligible"), by=radiologist, outcome="accept", levels_to_treat=["L2"])
    sql, params = selectors.recent_decisions_in_effect(physician).query.sql_with_params()
    plan = query_plan(sql, params, without=("sort", "seqscan"))

    assert "decision_newest_idx" in plan


def test_review_page_decisions_mark_the_corrected_one(submitted, radiologist, radiologist2):
    referral = submitted("review")
    wrong = accept_over_retropulsion(referral, radiologist)
    correction = decline_correcting(referral, wrong, radiologist2)

    decisions = selectors.referral_decisions(referral)

    assert [(d.pk, d.correction_count) for d in decisions] == [(correction.pk, 0), (wrong.pk, 1)]
    assert selectors.current_decision(decisions) == correction


def test_current_and_pending_countersignature_querysets(submitted, radiologist, radiologist2):
    pending_referral = submitted("not_eligible")
    pending = accept_over_infection(pending_referral, radiologist)
    signed_referral = submitted("not_eligible")
    signed = accept_over_infection(signed_referral, radiologist)
    decision_countersign(decision=signed, by=radiologist2)
    corrected_referral = submitted("not_eligible")
    corrected = accept_over_infection(corrected_referral, radiologist)
    correction = decline_correcting(corrected_referral, corrected, radiologist2)

    assert set(ReviewDecision.objects.current()) == {pending, signed, correction}
    assert list(ReviewDecision.objects.pending_countersignature()) == [pending]


# --- Review page and decision POST ----------------------------------------------------------


def evaluation_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "eligibility_evaluation"' in q["sql"]]


def test_the_review_page_reads_the_evaluations_once(radiologist_client, submitted):
    referral = submitted("two_levels")

    with CaptureQueriesContext(connection) as queries:
        response = radiologist_client.get(reverse("reviews:review", args=[referral.pk]))

    assert response.status_code == 200
    assert response.context["evaluation"].pk == referral.latest_evaluation_id
    assert len(evaluation_queries(queries)) == 1
    assert 'data-testid="findings"' in response.content.decode()


def test_a_decision_reads_the_evaluation_once_with_the_referral(
    radiologist_client, submitted, radiologist
):
    referral = submitted("eligible")
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()

    with CaptureQueriesContext(connection) as queries:
        response = radiologist_client.post(
            reverse("reviews:decide", args=[referral.pk]),
            {"expected_version": referral.version, "outcome": "accept", "levels_to_treat": "L2"},
        )

    decision = ReviewDecision.objects.get()
    assert response.status_code == 302
    assert decision.evaluation_id == referral.latest_evaluation_id
    assert evaluation_queries(queries) == []  # joined into the referral's query
    assert '"eligibility_evaluation"."case"' not in next(
        q["sql"] for q in queries if 'FROM "patients_referral"' in q["sql"]
    )


def test_a_decision_is_recorded_on_the_latest_evaluation_even_if_the_caller_holds_an_older_one(
    submitted, radiologist
):
    from eligibility.models import Evaluation

    referral = submitted("eligible")
    given = Referral.objects.select_related("latest_evaluation").get(pk=referral.pk)
    older = given.latest_evaluation
    newer = Evaluation.objects.create(
        referral=referral,
        referral_version=older.referral_version,
        ruleset_version=older.ruleset_version,
        case=older.case,
        result=older.result,
        recommendation=older.recommendation,
        flagged=older.flagged,
        created_by=older.created_by,
    )
    Referral.objects.filter(pk=referral.pk).update(latest_evaluation=newer)

    decision = decision_record(
        referral=given,
        by=radiologist,
        expected_version=given.version,
        outcome="accept",
        levels_to_treat=["L2"],
    )

    assert decision.evaluation == newer


def test_a_refused_decision_still_shows_the_whole_review_page(
    radiologist_client, submitted, radiologist
):
    referral = submitted("two_levels", family_name="Moreau", mrn="MRN-77")
    referral_claim(referral=referral, by=radiologist)
    referral.refresh_from_db()

    response = radiologist_client.post(
        reverse("reviews:decide", args=[referral.pk]),
        {"expected_version": referral.version, "outcome": "accept"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose at least one level to treat." in html
    assert "Moreau" in html and "MRN-77" in html
    assert 'data-testid="findings"' in html
