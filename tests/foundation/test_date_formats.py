"""One date and time style: templates name the locale's formats, never a literal format.

A literal such as `|date:"j M Y"` writes English month names and an English order in every
language; `DATE_FORMAT` and its kin come from vpselect/formats/<language>/formats.py.
"""

import datetime as dt
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The locale's named formats. A `datetime="…"` attribute is for machines, not people: any
# ISO format may stand there (it is left out of the scan).
ALLOWED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
}
FORMAT_ARGUMENT = re.compile(r"\|(?:date|time):\s*([\"'])(.*?)\1")
MACHINE_ATTRIBUTE = re.compile(r'datetime="[^"]*"')


def literal_formats(text: str) -> list[str]:
    shown = MACHINE_ATTRIBUTE.sub("", text)
    return [m.group(2) for m in FORMAT_ARGUMENT.finditer(shown) if m.group(2) not in ALLOWED]


def template_files():
    folders = [REPO / "templates", *sorted(REPO.glob("*/templates"))]
    for folder in folders:
        yield from sorted(folder.rglob("*.html"))
        yield from sorted(folder.rglob("*.txt"))


def test_templates_write_dates_in_the_locales_named_formats_only():
    found = {
        str(path.relative_to(REPO)): formats
        for path in template_files()
        if (formats := literal_formats(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_scan_finds_a_literal_format_and_passes_named_ones():
    assert literal_formats("{{ d|date:\"j M Y\" }} {{ t|time:'H:i' }}") == ["j M Y", "H:i"]
    machine_and_named = '<time datetime="{{ d|date:\'Y-m-d\' }}">{{ d|date:"DATE_FORMAT" }}'
    assert literal_formats(machine_and_named) == []
    assert literal_formats("{{ d|date:'c' }}") == ["c"]
    assert any(template_files())


def test_italian_dates_write_the_month_in_lower_case_and_english_ones_capitalised():
    """Django's Italian catalog capitalises month names ("Dicembre"); in a date Italian
    writes them in lower case. vpselect/formats/months.py keeps the project's own."""
    from django.utils import formats, translation

    december = dt.date(2026, 12, 5)
    with translation.override("it"):
        assert formats.date_format(december, "DATE_FORMAT") == "05 dicembre 2026"
        noon = dt.datetime(2026, 12, 5, 12, 30)
        assert formats.date_format(noon, "DATETIME_FORMAT") == "05 dicembre 2026, 12:30"
    with translation.override("en-gb"):
        assert formats.date_format(december, "DATE_FORMAT") == "5 Dec 2026"
