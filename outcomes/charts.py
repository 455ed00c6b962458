"""Server-side SVG charts of pain over time (no JavaScript), worded in the reader's language.

The SVG is plain markup so that it shows in the browser, prints, and embeds in the PDF
summary (WeasyPrint renders inline SVG). Every data point carries its values as
`data-*` attributes and a `<title>` so that screen readers and tests can read it. This
module works out the geometry and the words; the markup is in templates/outcomes/charts/,
escaped by Django like any page.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .points import BASELINE_SLOT, CohortPoint, PainPoint
from .schedule import INTERVALS
from .statistics import CLINICALLY_IMPORTANT_POINTS

WIDTH = 640
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 24, 62
NRS_MAX = 10
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


def _frame(chart_id: str, title: str, description: str) -> dict:
    """What both charts share: the title and description, the grid with its NRS labels, the
    slots' labels along the bottom, the axes' names."""
    return {
        "chart_id": chart_id,
        "title": title,
        "description": description,
        "width": WIDTH,
        "height": HEIGHT,
        "font": FONT,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "grid": [
            {"y": _y(nrs), "label_y": _y(nrs) + 4, "nrs": nrs} for nrs in range(0, NRS_MAX + 1, 2)
        ],
        "grid_label_x": LEFT - 8,
        "slots": [{"x": _x(index), "label": short} for index, (_k, _l, short) in enumerate(SLOTS)],
        "slot_label_y": HEIGHT - BOTTOM + 18,
        "count_y": HEIGHT - BOTTOM + 33,
        "y_axis": {"label": _("Pain NRS (0–10)"), "y": (TOP + HEIGHT - BOTTOM) / 2},
        "x_axis": {
            "label": _("Time after the procedure"),
            "x": (LEFT + WIDTH - RIGHT) / 2,
            "y": HEIGHT - 6,
        },
    }


def _diamond(x: float, y: float) -> dict:
    """A patient-reported point: a square turned 45° about (x, y), its number to the right."""
    return {
        "x": x,
        "y": y,
        "rect_x": round(x - 5, 1),
        "rect_y": round(y - 5, 1),
        "label_x": round(x + 9, 1),
        "label_y": round(y + 4, 1),
    }


def pain_chart_svg(
    points: Sequence[PainPoint], *, chart_id: str = "pain-chart", title: str = ""
) -> SafeString:
    """An SVG line chart of one patient's pain NRS: the baseline and each recorded follow-up
    (templates/outcomes/charts/pain.svg).

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
    context = _frame(chart_id, title or _("Pain over time"), description)
    baseline = next((point for point in ordered if point.slot == BASELINE_SLOT[0]), None)
    if baseline is not None and baseline.nrs >= CLINICALLY_IMPORTANT_POINTS:
        context["threshold"] = {
            "y": _y(baseline.nrs - CLINICALLY_IMPORTANT_POINTS),
            "label_x": WIDTH - RIGHT - 4,
            "label_y": _y(baseline.nrs - CLINICALLY_IMPORTANT_POINTS) - 5,
            "label": _("clinically important improvement (−{points})").format(
                points=_said(CLINICALLY_IMPORTANT_POINTS)
            ),
        }
    if len(ordered) > 1:
        context["line"] = " ".join(
            f"{_x(_slot_index(point.slot))},{_y(point.nrs)}" for point in ordered
        )
    context["points"] = [
        {
            "slot": point.slot,
            "nrs": point.nrs,
            "x": _x(_slot_index(point.slot)),
            "y": _y(point.nrs),
            "label_y": _y(point.nrs) - 10,
            "baseline": point.slot == BASELINE_SLOT[0],
            "title": _("{slot}: pain NRS {nrs}").format(slot=_label(point.slot), nrs=point.nrs),
            "on": point.on,
        }
        for point in ordered
    ]
    context["reported"] = [
        {
            "slot": point.slot,
            "nrs": point.nrs,
            **_diamond(_x(_slot_index(point.slot)) + 8, _y(point.nrs)),
            "title": _("{slot}: pain NRS {nrs}, patient-reported").format(
                slot=_label(point.slot), nrs=point.nrs
            ),
            "on": point.on,
        }
        for point in reported
    ]
    return render_to_string("outcomes/charts/pain.svg", context)


def cohort_chart_svg(
    points: Sequence[CohortPoint],
    *,
    chart_id: str = "cohort-chart",
    title: str = "",
) -> SafeString:
    """An SVG chart of the cohort: at each slot the median (dot) and the IQR (bar), with n
    (templates/outcomes/charts/cohort.svg)."""
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
    context = _frame(chart_id, title or _("Median pain NRS with interquartile range"), description)
    if len(ordered) > 1:
        context["line"] = " ".join(
            f"{_x(_slot_index(point.slot))},{_y(point.median)}" for point in ordered
        )
    context["points"] = [
        {
            "slot": point.slot,
            "n": point.n,
            "median": _number(point.median),
            "q1": _number(point.q1),
            "q3": _number(point.q3),
            "median_said": _said(point.median),
            "title": _("{slot}: median {median}, IQR {q1}–{q3}, n = {n}").format(
                slot=_label(point.slot),
                median=_said(point.median),
                q1=_said(point.q1),
                q3=_said(point.q3),
                n=point.n,
            ),
            "x": _x(_slot_index(point.slot)),
            "bar_x": round(_x(_slot_index(point.slot)) - 9, 1),
            "top": _y(point.q3),
            "height": round(_y(point.q1) - _y(point.q3), 1),
            "middle": _y(point.median),
            "label_x": round(_x(_slot_index(point.slot)) + 13, 1),
            "label_y": round(_y(point.median) + 4, 1),
        }
        for point in ordered
    ]
    return render_to_string("outcomes/charts/cohort.svg", context)
