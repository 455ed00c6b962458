"""Lists read by position (keyset), not by page number.

A list ordered by one column and then the primary key is read as "the rows after (or
before) this row": an index range with a LIMIT, the same cost on the first page and the
thousandth, and no COUNT. The cursor names a row's position as text for a link:
``<column value>.<id>`` (a date as ISO text, a moment as microseconds since 1970).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class KeysetPage:
    """One page in the list's order, and the cursors of its neighbours ("" when none)."""

    rows: list[Any] = field(default_factory=list)
    next: str = ""
    previous: str = ""

    @property
    def is_first(self) -> bool:
        return not self.previous


@dataclass(frozen=True)
class Keyset:
    """The order `column`, then the primary key, both descending or both ascending."""

    column: str
    descending: bool = True

    def order_by(self, queryset: QuerySet[Any], *, reverse: bool = False) -> QuerySet[Any]:
        descending = self.descending != reverse
        prefix = "-" if descending else ""
        return queryset.order_by(f"{prefix}{self.column}", f"{prefix}id")

    # --- Cursors -----------------------------------------------------------------------------

    def position_of(self, row: Any) -> tuple[Any, int]:
        """(column value, id) of a model instance, or of a value tuple that starts with them."""
        if isinstance(row, tuple):
            return row[0], row[1]
        return getattr(row, self.column), row.pk

    def cursor_of(self, row: Any) -> str:
        value, pk = self.position_of(row)
        if isinstance(value, datetime):
            return f"{round(value.timestamp() * 1_000_000)}.{pk}"
        if isinstance(value, date):
            return f"{value.isoformat()}.{pk}"
        raise TypeError(f"no cursor for a {type(value).__name__}")

    def parse(self, cursor: str, model: type[models.Model]) -> tuple[Any, int]:
        """(column value, id) of a cursor; ValueError when it is not one."""
        text, _, pk = cursor.rpartition(".")
        if not pk.isdigit():
            raise ValueError(cursor)
        column = model._meta.get_field(self.column)
        if isinstance(column, models.DateTimeField):
            if not text.isdigit():
                raise ValueError(cursor)
            utc = timezone.get_fixed_timezone(0)
            try:
                return datetime.fromtimestamp(int(text) / 1_000_000, tz=utc), int(pk)
            except (OverflowError, OSError) as out_of_range:
                raise ValueError(cursor) from out_of_range
        if isinstance(column, models.DateField):
            return date.fromisoformat(text), int(pk)
        raise ValueError(cursor)

    # --- Ranges ------------------------------------------------------------------------------

    def following(self, value: Any, pk: int) -> Q:
        """The rows after (value, pk) in the order."""
        return self._beyond(value, pk, descending=self.descending)

    def preceding(self, value: Any, pk: int) -> Q:
        """The rows before (value, pk) in the order."""
        return self._beyond(value, pk, descending=not self.descending)

    def _beyond(self, value: Any, pk: int, *, descending: bool) -> Q:
        # The plain bound first: it is what lets the index range start at the cursor (an OR
        # alone makes PostgreSQL read every row on one side of it).
        column = self.column
        if descending:
            return Q(**{f"{column}__lte": value}) & (
                Q(**{f"{column}__lt": value}) | Q(**{column: value, "id__lt": pk})
            )
        return Q(**{f"{column}__gte": value}) & (
            Q(**{f"{column}__gt": value}) | Q(**{column: value, "id__gt": pk})
        )

    # --- Reads -------------------------------------------------------------------------------

    def page(
        self, queryset: QuerySet[Any], *, after: str = "", before: str = "", size: int
    ) -> KeysetPage:
        """The `size` rows just after the cursor `after`, or just before `before`, or the
        first `size`: one query. ValueError when a cursor is not one."""
        if before:
            position = self.parse(before, queryset.model)
            ahead = self.order_by(queryset.filter(self.preceding(*position)), reverse=True)
            rows = list(ahead[: size + 1])
            more_before = len(rows) > size
            rows = rows[:size][::-1]
            return KeysetPage(
                rows,
                next=self.cursor_of(rows[-1]) if rows else before,
                previous=self.cursor_of(rows[0]) if more_before else "",
            )
        if after:
            queryset = queryset.filter(self.following(*self.parse(after, queryset.model)))
        rows = list(self.order_by(queryset)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return KeysetPage(
            rows,
            next=self.cursor_of(rows[-1]) if more else "",
            previous=(self.cursor_of(rows[0]) if rows else after) if after else "",
        )

    def batches(self, queryset: QuerySet[Any], *, size: int) -> Iterator[list[Any]]:
        """Every row, in the order, `size` at a time: a query per batch, no server-side cursor
        (PgBouncer's transaction mode has none), no more than a batch in memory. A values_list
        queryset must start with the column and the id."""
        ordered = self.order_by(queryset)
        last: tuple[Any, int] | None = None
        while True:
            batch = ordered if last is None else ordered.filter(self.following(*last))
            rows = list(batch[:size])
            if rows:
                yield rows
            if len(rows) < size:
                return
            last = self.position_of(rows[-1])
