"""Typed numbers and dates are read exactly as typed, or refused with the reason (no DB)."""

from datetime import date
from decimal import Decimal

import pytest

from patients.entry import DateEntry, EntryError, parse_decimal, parse_int


@pytest.mark.parametrize(
    ("text", "places", "number"),
    [
        ("1,4", 2, Decimal("1.4")),
        ("1.4", 2, Decimal("1.4")),
        ("45,5", 1, Decimal("45.5")),
        ("45000", 1, Decimal(45000)),
        (" 0,9 ", 2, Decimal("0.9")),
        (",5", 1, Decimal("0.5")),
        ("7.", 1, Decimal(7)),
        ("-1", 1, Decimal(-1)),
        ("", 2, None),
        ("   ", 2, None),
    ],
)
def test_a_point_or_a_comma_is_the_decimal_separator_and_nothing_else_changes(text, places, number):
    assert parse_decimal(text, places=places) == number


@pytest.mark.parametrize("text", ["45.000", "45,000", "1 000", "1\u202f000", "1'000", "1.000,5"])
def test_a_thousands_separator_is_refused_rather_than_guessed(text):
    with pytest.raises(EntryError) as refused:
        parse_decimal(text, places=1)
    assert refused.value.code == "thousands"


@pytest.mark.parametrize("text", ["abc", "1e3", "NaN", "Infinity", "1,2,3", "1.2.3", ".", "١٢"])
def test_anything_but_digits_and_one_separator_is_not_a_number(text):
    with pytest.raises(EntryError) as refused:
        parse_decimal(text, places=2)
    assert refused.value.code == "invalid"


def test_more_decimals_than_allowed_are_refused_never_rounded():
    with pytest.raises(EntryError):
        parse_decimal("1,456", places=2)
    with pytest.raises(EntryError):
        parse_decimal("0.125", places=2)


@pytest.mark.parametrize(("text", "number"), [("7", 7), ("7.0", 7), ("7,0", 7), ("", None)])
def test_whole_numbers_may_carry_a_zero_decimal(text, number):
    assert parse_int(text) == number


@pytest.mark.parametrize("text", ["7,5", "7.5"])
def test_a_fraction_is_not_a_whole_number(text):
    with pytest.raises(EntryError):
        parse_int(text)


CLINIC = DateEntry("%d/%m/%Y")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("02/10/2026", date(2026, 10, 2)),
        ("2/10/2026", date(2026, 10, 2)),
        ("2026-10-02", date(2026, 10, 2)),
        ("", None),
    ],
)
def test_dates_are_read_in_the_clinics_format_or_as_iso(text, day):
    assert CLINIC.parse(text) == day


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("31/02/2026", "no_such_date"),
        ("2026-02-30", "no_such_date"),
        ("02/10/26", "invalid"),
        ("2 Oct 2026", "invalid"),
        ("10.02.2026", "invalid"),
    ],
)
def test_dates_that_do_not_exist_or_are_ambiguous_are_refused(text, code):
    with pytest.raises(EntryError) as refused:
        CLINIC.parse(text)
    assert refused.value.code == code


def test_the_placeholder_shows_the_clinics_format_and_an_american_clinic_reads_month_first():
    assert CLINIC.placeholder == "dd/mm/yyyy"
    american = DateEntry("%m/%d/%Y")
    assert american.placeholder == "mm/dd/yyyy"
    assert american.parse("02/10/2026") == date(2026, 2, 10)
    assert CLINIC.format(date(2026, 10, 2)) == "02/10/2026"
