"""History (django-simple-history) configuration shared by the models that keep one.

simple-history reaches a model's history through a descriptor whose every access builds
the manager class anew: `HistoryManager.from_queryset(HistoricalQuerySet)`, Django's
`Manager.from_queryset`, which walks the queryset class with `inspect.getmembers` and makes
a new class with `type()` (about 0.1 ms). It does so for every history record it writes
(`create_historical_record` reads `instance.history` to find the history model) and for
every `Model.history` / `instance.history` read.

`HistoryManager` below is simple-history's own manager with `from_queryset` memoised: the
class made for a (manager, queryset, name) is the same every time, so it is built once per
process and the descriptor only instantiates it. It is given through `HistoricalRecords`'
documented `history_manager` option (see `history_records`); nothing of simple-history is
patched, and the managers behave exactly as before (same methods, same queryset class).
"""

from functools import cache

from simple_history.manager import HistoricalQuerySet
from simple_history.manager import HistoryManager as SimpleHistoryManager
from simple_history.models import HistoricalRecords


class HistoryManager(SimpleHistoryManager):
    """simple-history's history manager; the class made by `from_queryset` is reused."""

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        return _manager_class(cls, queryset_class, class_name)


@cache
def _manager_class(manager_class, queryset_class, class_name):
    # The classes are module-level and finitely many: the cache stays a handful of entries.
    return super(HistoryManager, manager_class).from_queryset(queryset_class, class_name)


def history_records(**options) -> HistoricalRecords:
    """`HistoricalRecords(**options)` with the reused manager class (`HistoryManager`)."""
    options.setdefault("history_manager", HistoryManager)
    options.setdefault("historical_queryset", HistoricalQuerySet)
    return HistoricalRecords(**options)
