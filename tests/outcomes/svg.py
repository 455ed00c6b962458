"""Parsing the SVG charts in tests."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(markup: str | bytes) -> ET.Element:
    """The chart's root element; fails the test when the markup is not well-formed XML."""
    return ET.fromstring(markup)  # noqa: S314 - markup our own code just produced


def chart_points(root: ET.Element) -> dict[str, dict[str, str]]:
    """The data attributes of each point group, by slot ("baseline", "day_1", ...)."""
    return {
        group.get("data-slot"): dict(group.attrib)
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "point"
    }
