"""Server-side SVG charts of pain over time (no JavaScript), worded in the reader's language.

The SVG is plain markup so that it shows in the browser, prints, and embeds in the PDF
summary (WeasyPrint renders inline SVG). Every data point carries its values as
`data-*` attributes and a `<title>` so that screen readers and tests can read it.
"""

from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .points import BASELINE_SLOT, CohortPoint, PainPoint
from .schedule import INTERVALS
from .statistics import CLINICALLY_IMPORTANT_POINTS

WIDTH = 640
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 24, 62
NRS_MAX = 10
LINE_COLOUR = "#0d6efd"
BASELINE_COLOUR = "#6c757d"
THRESHOLD_COLOUR = "#198754"
GRID_COLOUR = "#dee2e6"
TEXT_COLOUR = "#212529"
PATIENT_COLOUR = "#a34e00"  # dark orange: 5.6:1 on white
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

# (key, label, short label); the labels are lazy, read in each reader's language.
SLOTS: tuple[tuple[str, "str | Promise", "str | Promise"], ...] = (
    BASELINE_SLOT,
    *((interval.key, interval.label, interval.short_label) for interval in INTERVALS),
)


def _number(value: float) -> str:
    """A number for the data attributes: 4.25, whatever the reader's language."""
    return f"{value:g}"


def _said(value: float) -> str:
    """A number as the reader writes it: 4.25, in Italian 4,25."""
    return formats.number_format(Decimal(_number(value)))


def _x(index: int) -> float:
    step = (WIDTH - LEFT - RIGHT) / len(SLOTS)
    return round(LEFT + (index + 0.5) * step, 1)


def _y(nrs: float) -> float:
    plot_height = HEIGHT - TOP - BOTTOM
    return round(TOP + (NRS_MAX - nrs) / NRS_MAX * plot_height, 1)


def _slot_index(slot: str) -> int:
    for index, (key, _label, _short) in enumerate(SLOTS):
        if key == slot:
            return index
    raise ValueError(f"Unknown chart slot {slot!r}.")


def _label(slot: str) -> str:
    return str(SLOTS[_slot_index(slot)][1])


def _frame(chart_id: str, title: str, description: str) -> list[str]:
    """The opening tag, title, description, grid and axes shared by both charts."""
    parts = [
        # No width/height attributes: the chart scales to its container in the browser and
        # in WeasyPrint alike (a max-width with height:auto leaves blank space in the PDF).
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" class="pain-chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family={quoteattr(FONT)} '
        f'font-size="12" style="width:100%;height:auto">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for nrs in range(0, NRS_MAX + 1, 2):
        y = _y(nrs)
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end" fill="{TEXT_COLOUR}">{nrs}</text>'
        )
    for index, (_key, _label_text, short) in enumerate(SLOTS):
        parts.append(
            f'<text x="{_x(index)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'fill="{TEXT_COLOUR}">{escape(str(short))}</text>'
        )
    middle = (TOP + HEIGHT - BOTTOM) / 2
    y_axis, x_axis = escape(_("Pain NRS (0–10)")), escape(_("Time after the procedure"))
    parts.append(
        f'<text x="14" y="{middle}" text-anchor="middle" fill="{TEXT_COLOUR}" '
        f'transform="rotate(-90 14 {middle})">{y_axis}</text>'
    )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'fill="{TEXT_COLOUR}">{x_axis}</text>'
    )
    return parts


def pain_chart_svg(
    points: Sequence[PainPoint], *, chart_id: str = "pain-chart", title: str = ""
) -> str:
    """An SVG line chart of one patient's pain NRS: the baseline and each recorded follow-up.

    A dashed line marks the clinically important improvement (1.5 points below baseline).
    """
    ordered = sorted(
        (point for point in points if not point.patient_reported),
        key=lambda point: _slot_index(point.slot),
    )
    reported = sorted(
        (point for point in points if point.patient_reported),
        key=lambda point: _slot_index(point.slot),
    )
    description = "; ".join(
        [
            *(
                _("{slot}: pain NRS {nrs}").format(slot=_label(point.slot), nrs=point.nrs)
                for point in ordered
            ),
            *(
                _("{slot}: pain NRS {nrs} (patient-reported)").format(
                    slot=_label(point.slot), nrs=point.nrs
                )
                for point in reported
            ),
        ]
    ) or _("No pain scores recorded yet.")
    parts = _frame(chart_id, title or _("Pain over time"), description)
    baseline = next((point for point in ordered if point.slot == BASELINE_SLOT[0]), None)
    if baseline is not None and baseline.nrs >= CLINICALLY_IMPORTANT_POINTS:
        y = _y(baseline.nrs - CLINICALLY_IMPORTANT_POINTS)
        parts.append(
            f'<line class="threshold" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" '
            f'stroke="{THRESHOLD_COLOUR}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT - 4}" y="{y - 5}" text-anchor="end" '
            f'fill="{THRESHOLD_COLOUR}">'
            + escape(
                _("clinically important improvement (−{points})").format(
                    points=_said(CLINICALLY_IMPORTANT_POINTS)
                )
            )
            + "</text>"
        )
    if len(ordered) > 1:
        coordinates = " ".join(
            f"{_x(_slot_index(point.slot))},{_y(point.nrs)}" for point in ordered
        )
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{LINE_COLOUR}" '
            f'stroke-width="2.5" stroke-linejoin="round"/>'
        )
    for point in ordered:
        x, y = _x(_slot_index(point.slot)), _y(point.nrs)
        is_baseline = point.slot == BASELINE_SLOT[0]
        colour = BASELINE_COLOUR if is_baseline else LINE_COLOUR
        when = f" ({point.on})" if point.on else ""
        point_title = _("{slot}: pain NRS {nrs}").format(slot=_label(point.slot), nrs=point.nrs)
        parts.append(
            f'<g class="point" data-slot="{escape(point.slot)}" data-nrs="{point.nrs}">'
            f"<title>{escape(point_title)}{escape(when)}</title>"
            f'<circle cx="{x}" cy="{y}" r="5.5" fill="{colour}" stroke="#ffffff" '
            f'stroke-width="1.5"/>'
            f'<text x="{x}" y="{y - 10}" text-anchor="middle" font-weight="600" '
            f'fill="{TEXT_COLOUR}">{point.nrs}</text></g>'
        )
    for point in reported:
        x, y = _x(_slot_index(point.slot)) + 8, _y(point.nrs)
        when = f" ({point.on})" if point.on else ""
        parts.append(
            f'<g class="point patient-reported" data-slot="{escape(point.slot)}" '
            f'data-nrs="{point.nrs}">'
            "<title>"
            + escape(
                _("{slot}: pain NRS {nrs}, patient-reported").format(
                    slot=_label(point.slot), nrs=point.nrs
                )
            )
            + f"{escape(when)}</title>"
            f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10" fill="#ffffff" '
            f'stroke="{PATIENT_COLOUR}" stroke-width="2.5" transform="rotate(45 {x} {y})"/>'
            f'<text x="{x + 9}" y="{y + 4}" font-weight="600" '
            f'fill="{PATIENT_COLOUR}">{point.nrs}</text></g>'
        )
    if reported:
        by_clinic, by_patient = escape(_("recorded by the clinic")), escape(_("patient-reported"))
        parts.append(
            f'<g class="legend"><circle cx="{LEFT + 10}" cy="10" r="4.5" fill="{LINE_COLOUR}"/>'
            f'<text x="{LEFT + 18}" y="14" fill="{TEXT_COLOUR}">{by_clinic}</text>'
            f'<rect x="{LEFT + 176}" y="6" width="8" height="8" fill="#ffffff" '
            f'stroke="{PATIENT_COLOUR}" stroke-width="2" transform="rotate(45 {LEFT + 180} 10)"/>'
            f'<text x="{LEFT + 190}" y="14" fill="{PATIENT_COLOUR}">{by_patient}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def cohort_chart_svg(
    points: Sequence[CohortPoint],
    *,
    chart_id: str = "cohort-chart",
    title: str = "",
) -> str:
    """An SVG chart of the cohort: at each slot the median (dot) and the IQR (bar), with n."""
    ordered = sorted(points, key=lambda point: _slot_index(point.slot))
    description = "; ".join(
        _("{slot}: median {median}, IQR {q1} to {q3}, n = {n}").format(
            slot=_label(point.slot),
            median=_said(point.median),
            q1=_said(point.q1),
            q3=_said(point.q3),
            n=point.n,
        )
        for point in ordered
    ) or _("No pain scores in this selection.")
    parts = _frame(chart_id, title or _("Median pain NRS with interquartile range"), description)
    if len(ordered) > 1:
        coordinates = " ".join(
            f"{_x(_slot_index(point.slot))},{_y(point.median)}" for point in ordered
        )
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{LINE_COLOUR}" '
            f'stroke-width="2" stroke-dasharray="2 3"/>'
        )
    for point in ordered:
        x = _x(_slot_index(point.slot))
        top, bottom, middle = _y(point.q3), _y(point.q1), _y(point.median)
        parts.append(
            f'<g class="point" data-slot="{escape(point.slot)}" data-n="{point.n}" '
            f'data-median="{_number(point.median)}" data-q1="{_number(point.q1)}" '
            f'data-q3="{_number(point.q3)}">'
            "<title>"
            + escape(
                _("{slot}: median {median}, IQR {q1}–{q3}, n = {n}").format(
                    slot=_label(point.slot),
                    median=_said(point.median),
                    q1=_said(point.q1),
                    q3=_said(point.q3),
                    n=point.n,
                )
            )
            + "</title>"
            f'<rect x="{x - 9}" y="{top}" width="18" height="{round(bottom - top, 1)}" '
            f'fill="{LINE_COLOUR}" fill-opacity="0.18" stroke="{LINE_COLOUR}"/>'
            f'<circle cx="{x}" cy="{middle}" r="5.5" fill="{LINE_COLOUR}" stroke="#ffffff" '
            f'stroke-width="1.5"/>'
            f'<text x="{x + 13}" y="{middle + 4}" fill="{TEXT_COLOUR}" font-weight="600">'
            f"{_said(point.median)}</text>"
            f'<text x="{x}" y="{HEIGHT - BOTTOM + 33}" text-anchor="middle" '
            f'fill="{BASELINE_COLOUR}" font-size="11">n={point.n}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
