"""Django's `timesince`, with its unit strings translated once per language and number.

The worklist writes "waiting since" for every row; `django.utils.timesince.timesince`
spent most of its time there resolving a lazy plural translation for every unit of every
row. It accepts the unit strings as an argument: these give the very same text (the same
lazy translations, formatted the first time a language needs a number) from a cache.
"""

from functools import lru_cache

from django.utils import translation
from django.utils.timesince import TIME_STRINGS, timesince


@lru_cache(maxsize=4096)
def _unit(language: str | None, name: str, number: int) -> str:
    with translation.override(language):
        return str(TIME_STRINGS[name] % {"num": number})


class _CachedUnit:
    """One unit of TIME_STRINGS: `unit % {"num": n}` as the lazy string gives it."""

    def __init__(self, name: str):
        self.name = name

    def __mod__(self, mapping: dict) -> str:
        return _unit(translation.get_language(), self.name, mapping["num"])


CACHED_TIME_STRINGS = {name: _CachedUnit(name) for name in TIME_STRINGS}


def time_since(value, now) -> str:
    """What the template filter `timesince:now` writes for `value` ("" for none)."""
    if not value:
        return ""
    try:
        return timesince(value, now, time_strings=CACHED_TIME_STRINGS)
    except (ValueError, TypeError):
        return ""
