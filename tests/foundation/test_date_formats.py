"""One date and time style: templates name the locale's formats, never a literal format.

A literal such as `|date:"j M Y"` writes English month names and an English order in every
language; `DATE_FORMAT` and its kin come from vpselect/formats/<language>/formats.py.
"""

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
