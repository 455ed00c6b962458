"""Named thresholds of the rules, with their defaults and published sources (the spec's table)."""

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

# Each threshold: (attribute, spec name, whether it must be a whole number, lowest, highest,
# whether the lowest value itself is excluded).
_LIMITS: tuple[tuple[str, str, bool, float, float, bool], ...] = (
    ("severe_pain_nrs", "SEVERE_PAIN_NRS", True, 0, 10, False),
    ("pain_present_nrs", "PAIN_PRESENT_NRS", True, 0, 10, False),
    ("inr_max", "INR_MAX", False, 0, math.inf, True),
    ("platelets_min", "PLATELETS_MIN", False, 0, math.inf, False),
    ("canal_compromise_max_pct", "CANAL_COMPROMISE_MAX_PCT", False, 0, 100, False),
    ("old_fracture_days", "OLD_FRACTURE_DAYS", True, 0, 36_500, False),
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The numbers the rules compare against; a clinic may override them in its settings."""

    severe_pain_nrs: int = 7
    pain_present_nrs: int = 1
    inr_max: float = 1.5
    platelets_min: float = 50
    canal_compromise_max_pct: float = 20
    old_fracture_days: int = 365

    def __post_init__(self) -> None:
        for attr, name, whole, lowest, highest, exclusive in _LIMITS:
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number; got {value!r}.")
            if whole and not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number; got {value!r}.")
            if (
                not math.isfinite(value)
                or value < lowest
                or value > highest
                or (exclusive and value == lowest)
            ):
                bound = "greater than" if exclusive else "at least"
                upper = "" if highest == math.inf else f" and at most {_plain(highest)}"
                raise ValueError(f"{name} must be {bound} {_plain(lowest)}{upper}; got {value!r}.")

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, object] | None) -> "Thresholds":
        """Defaults with the given overrides, keyed by the spec's names (e.g. SEVERE_PAIN_NRS).

        Raises ValueError for an unknown name or a value of the wrong type or range.
        """
        if not overrides:
            return DEFAULT_THRESHOLDS
        if not isinstance(overrides, Mapping):
            raise ValueError(
                f"Threshold overrides must be a mapping of names to numbers; got {overrides!r}."
            )
        changes: dict[str, object] = {}
        for name, value in overrides.items():
            attr = _ATTR_BY_NAME.get(name) if isinstance(name, str) else None
            if attr is None:
                known = ", ".join(THRESHOLD_NAMES)
                raise ValueError(f"Unknown threshold {name!r}; known thresholds: {known}.")
            changes[attr] = value
        return dataclasses.replace(DEFAULT_THRESHOLDS, **changes)  # type: ignore[arg-type]

    def as_named(self) -> dict[str, int | float]:
        """The values keyed by the spec's names, in the spec's order."""
        return {name: getattr(self, attr) for attr, name, *_ in _LIMITS}


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


THRESHOLD_NAMES: tuple[str, ...] = tuple(name for _, name, *_ in _LIMITS)
_ATTR_BY_NAME = {name: attr for attr, name, *_ in _LIMITS}

DEFAULT_THRESHOLDS = Thresholds()

THRESHOLD_UNITS: dict[str, str] = {
    "SEVERE_PAIN_NRS": "NRS 0–10",
    "PAIN_PRESENT_NRS": "NRS 0–10",
    "INR_MAX": "ratio",
    "PLATELETS_MIN": "×10⁹/L",
    "CANAL_COMPROMISE_MAX_PCT": "%",
    "OLD_FRACTURE_DAYS": "days",
}

THRESHOLD_SOURCES: dict[str, str] = {
    "SEVERE_PAIN_NRS": (
        "standard NRS bands 1–4 mild, 5–6 moderate, 7–10 severe (Serlin 1995; Palos, "
        "J Pain 2006); VAPOUR trial inclusion NRS ≥ 7"
    ),
    "PAIN_PRESENT_NRS": '"painful" / "symptomatic": any pain attributed to the level',
    "INR_MAX": ("SIR 2019 consensus, high-bleeding-risk procedures: correct INR to ≤ 1.5–1.8"),
    "PLATELETS_MIN": "SIR 2019 consensus: consider transfusion below 50 ×10⁹/L",
    "CANAL_COMPROMISE_MAX_PCT": 'the seed: "> 20% spinal canal compromise"',
    "OLD_FRACTURE_DAYS": 'the seed: "older than one year"',
}
