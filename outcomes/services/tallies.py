"""Writes of the cohort tally: the whole cohort's counts per value of the dashboard's figures
(outcomes.cohort), kept in step by every write that changes them, and rebuilt on demand."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from ..cohort import Counts, cohort_counts
from ..models import CohortTally, Procedure

_UPSERT = (
    'INSERT INTO "{table}" ("measure", "value", "count") VALUES (%s, %s, %s) '
    'ON CONFLICT ("measure", "value") DO UPDATE SET "count" = "{table}"."count" + EXCLUDED."count"'
)


def cohort_tally_add(counts: Counts) -> None:
    """Add `counts` (negative to take away) to the tally, inside the caller's transaction."""
    changes = [(measure, value, n) for (measure, value), n in counts.items() if n]
    if not changes:
        return
    # An upsert: two recordings that bring the first of a value at once both count.
    with connection.cursor() as cursor:
        cursor.executemany(_UPSERT.format(table=CohortTally._meta.db_table), changes)


def _counts_of(procedure_id: int) -> Counts:
    return cohort_counts(Procedure.objects.filter(pk=procedure_id))


@contextmanager
def cohort_tally_kept(procedure_id: int) -> Iterator[None]:
    """Around a change of one procedure's figures (its follow-ups, levels, invitations,
    reports): add to the tally what the change added and take away what it removed.

    Locks the procedure's row first, so that two changes of one procedure count in turn.
    Use inside the transaction of the change.
    """
    Procedure.objects.select_for_update().filter(pk=procedure_id).values_list("pk").first()
    before = _counts_of(procedure_id)
    yield
    after = _counts_of(procedure_id)
    after.subtract(before)
    cohort_tally_add(after)


def cohort_tally_add_procedure(procedure: Procedure) -> None:
    """Count a newly recorded procedure (with its levels and follow-ups) in the tally."""
    cohort_tally_add(_counts_of(procedure.pk))


@transaction.atomic
def cohort_tally_rebuild() -> int:
    """Count the whole cohort again and replace the tally with it; the rows written."""
    if connection.vendor == "postgresql":
        # Recordings wait (their upserts) until the new tally is in; what they change is
        # either counted here (committed before the lock) or added after it.
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{CohortTally._meta.db_table}" IN EXCLUSIVE MODE')
    counts = cohort_counts(Procedure.objects.all())
    CohortTally.objects.all().delete()
    CohortTally.objects.bulk_create(
        CohortTally(measure=measure, value=value, count=n)
        for (measure, value), n in counts.items()
        if n
    )
    return sum(1 for n in counts.values() if n)
