"""vpselect.timesince.time_since writes what the template filter `timesince` writes, in every
language, from its cache of unit strings."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import timesince_filter
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from vpselect.timesince import time_since

ROME = ZoneInfo("Europe/Rome")
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
)
spans = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=3)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=70)),
    st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=4000)),
)


@settings(max_examples=400, deadline=None)
@given(value=moments, span=spans, in_rome=st.booleans())
def test_time_since_is_the_timesince_filter(value, span, in_rome):
    now = value + span
    if in_rome:
        value = value.astimezone(ROME)
    assert time_since(value, now) == timesince_filter(value, now)


@pytest.mark.parametrize("language", ["en-gb", "fr", "de", "it"])
def test_time_since_speaks_the_active_language(language):
    value = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    cases = [
        value + timedelta(minutes=1),
        value + timedelta(days=3, hours=2),
        value.replace(year=2027),
    ]
    with translation.override(language):
        for now in cases:
            assert time_since(value, now) == timesince_filter(value, now)


def test_the_cache_keeps_each_language_apart():
    value = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    now = value + timedelta(days=3, hours=2)
    with translation.override("fr"):
        assert time_since(value, now) == "3\xa0jours, 2\xa0heures"
    with translation.override("en-gb"):
        assert time_since(value, now) == "3\xa0days, 2\xa0hours"


def test_time_since_of_nothing_or_of_the_future():
    now = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    assert time_since(None, now) == "" == timesince_filter(None, now)
    assert time_since(now + timedelta(hours=1), now) == "0\xa0minutes"
