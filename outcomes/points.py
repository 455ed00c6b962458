"""The data the charts draw: pain scores by slot (the baseline or a follow-up interval)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

BASELINE_SLOT = ("baseline", _("Baseline"), _("Baseline"))


@dataclass(frozen=True)
class PainPoint:
    """One pain score of a patient: `slot` is "baseline" or an interval key."""

    slot: str
    nrs: int
    on: str = ""  # ISO date, shown in the point's title
    patient_reported: bool = False  # from the patient's questionnaire, not the clinic


@dataclass(frozen=True)
class CohortPoint:
    """Median and quartiles of the cohort's pain scores at one slot."""

    slot: str
    n: int
    median: float
    q1: float
    q3: float
