"""Writes of the cohort tally: the counts per value of the dashboard's figures for the whole
cohort and each etiology and level (outcomes.cohort), kept in step by every write that
changes them, and rebuilt on demand."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from ..cohort import (
    CohortFilters,
    Counts,
    cohort_counts,
    cohort_name,
    cohort_procedures,
    cohorts_of,
)
from ..models import CohortTally, Procedure, TreatedLevel

# (cohort, measure, value) -> how many
CohortCounts = Counter[tuple[str, str, str]]

_UPSERT = (
    'INSERT INTO "{table}" ("cohort", "measure", "value", "count") VALUES (%s, %s, %s, %s) '
    'ON CONFLICT ("cohort", "measure", "value") '
    'DO UPDATE SET "count" = "{table}"."count" + EXCLUDED."count"'
)


def cohort_tally_add(changes: CohortCounts) -> None:
    """Add `changes` (negative to take away) to the tally, inside the caller's transaction."""
    rows = [(cohort, measure, value, n) for (cohort, measure, value), n in changes.items() if n]
    if not rows:
        return
    # An upsert: two recordings that bring the first of a value at once both count.
    with connection.cursor() as cursor:
        cursor.executemany(_UPSERT.format(table=CohortTally._meta.db_table), rows)


def _in_cohorts(counts: Counts, cohorts: set[str]) -> CohortCounts:
    return Counter(
        {
            (cohort, measure, value): n
            for cohort in cohorts
            for (measure, value), n in counts.items()
        }
    )


def _procedure_counts(procedure_id: int) -> CohortCounts:
    """One procedure's counts, in each kept cohort it is in (six queries)."""
    levels = TreatedLevel.objects.filter(procedure_id=procedure_id).values_list("etiology", "level")
    counts = cohort_counts(Procedure.objects.filter(pk=procedure_id))
    return _in_cohorts(counts, cohorts_of(levels))


@contextmanager
def cohort_tally_kept(procedure_id: int) -> Iterator[None]:
    """Around a change of one procedure's figures (its follow-ups, levels, invitations,
    reports, or the procedure itself): add to the tally what the change added and take away
    what it removed, in the cohorts it was in and is in now.

    Locks the procedure's row first, so that two changes of one procedure count in turn.
    Use inside the transaction of the change.
    """
    Procedure.objects.select_for_update().filter(pk=procedure_id).values_list("pk").first()
    before = _procedure_counts(procedure_id)
    yield
    after = _procedure_counts(procedure_id)
    after.subtract(before)
    cohort_tally_add(after)


def cohort_tally_add_procedure(procedure: Procedure) -> None:
    """Count a newly recorded procedure (with its levels and follow-ups) in the tally."""
    cohort_tally_add(_procedure_counts(procedure.pk))


def _kept_cohorts() -> dict[str, CohortFilters]:
    """Every kept cohort that has a procedure, with the dashboard filters that select it."""
    cohorts = {"": CohortFilters()}
    for etiology, level in TreatedLevel.objects.values_list("etiology", "level").distinct():
        cohorts[cohort_name(level=level)] = CohortFilters(level=level)
        if etiology:
            cohorts[cohort_name(etiology=etiology)] = CohortFilters(etiology=etiology)
            cohorts[cohort_name(etiology, level)] = CohortFilters(etiology=etiology, level=level)
    return cohorts


@transaction.atomic
def cohort_tally_rebuild() -> int:
    """Count every kept cohort again, as the dashboard would live, and replace the tally
    with it; the rows written."""
    if connection.vendor == "postgresql":
        # Recordings wait (their upserts) until the new tally is in; what they change is
        # either counted here (committed before the lock) or added after it.
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{CohortTally._meta.db_table}" IN EXCLUSIVE MODE')
    rows = [
        CohortTally(cohort=cohort, measure=measure, value=value, count=n)
        for cohort, filters in _kept_cohorts().items()
        for (measure, value), n in cohort_counts(cohort_procedures(filters)).items()
        if n
    ]
    CohortTally.objects.all().delete()
    CohortTally.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
