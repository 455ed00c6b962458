"""Cohort statistics of pain scores (pure Python, no Django).

Quartiles are the *inclusive* method of `statistics.quantiles` (method="inclusive", the
same as Excel's QUARTILE.INC and NumPy's default linear interpolation): the median of the
data sits at the 50th percentile and the quartiles interpolate between ranked values.

A clinically important improvement is a fall in pain NRS of at least 1.5 points from
baseline (the VERTOS IV threshold) or, separately, of at least 50 % of the baseline score.
"""

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CLINICALLY_IMPORTANT_POINTS = 1.5
CLINICALLY_IMPORTANT_FRACTION = 0.5


@dataclass(frozen=True)
class Summary:
    """Median and interquartile range of a sample; all None for an empty sample."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None

    @property
    def iqr(self) -> float | None:
        if self.q1 is None or self.q3 is None:
            return None
        return self.q3 - self.q1


def median(values: Sequence[float]) -> float | None:
    """The median of the values, or None when there are none."""
    return float(statistics.median(values)) if values else None


def quartiles(values: Sequence[float]) -> tuple[float, float, float] | None:
    """(Q1, median, Q3) by the inclusive method, or None when there are no values.

    A single value is its own quartiles.
    """
    if not values:
        return None
    if len(values) == 1:
        only = float(values[0])
        return only, only, only
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return float(q1), float(q2), float(q3)


def summarise(values: Sequence[float]) -> Summary:
    """Median and quartiles of the values."""
    found = quartiles(values)
    if found is None:
        return Summary(0, None, None, None)
    q1, q2, q3 = found
    return Summary(len(values), q2, q1, q3)


def summarise_counted(counted: Iterable[tuple[float, int]]) -> Summary:
    """`summarise` of the values each repeated its count of times, (value, count) pairs,
    without repeating them: the same figures, by the same arithmetic (the inclusive method
    of `statistics.quantiles`, reading the ranked values from the counts)."""
    ranked = sorted((value, n) for value, n in counted if n > 0)
    size = sum(n for _value, n in ranked)
    if size == 0:
        return Summary(0, None, None, None)
    if size == 1:
        only = float(ranked[0][0])
        return Summary(1, only, only, only)

    def ranked_value(index: int) -> float:
        for value, n in ranked:
            if index < n:
                return value
            index -= n
        raise IndexError(index)

    last = size - 1
    q1, q2, q3 = (
        (ranked_value(j) * (4 - delta) + ranked_value(j + 1) * delta) / 4
        for j, delta in (divmod(i * last, 4) for i in range(1, 4))
    )
    return Summary(size, float(q2), float(q1), float(q3))


def improved_by_points(
    baseline: float, value: float, *, points: float = CLINICALLY_IMPORTANT_POINTS
) -> bool:
    """True when the score fell by at least `points` from baseline."""
    return baseline - value >= points


def improved_by_fraction(
    baseline: float, value: float, *, fraction: float = CLINICALLY_IMPORTANT_FRACTION
) -> bool | None:
    """True when the score fell by at least `fraction` of baseline; None for a zero baseline."""
    if baseline <= 0:
        return None
    return (baseline - value) / baseline >= fraction


@dataclass(frozen=True)
class Share:
    """How many of `n` patients meet a criterion; `fraction` is None when n is 0."""

    count: int
    n: int

    @property
    def fraction(self) -> float | None:
        return self.count / self.n if self.n else None

    @property
    def percent(self) -> float | None:
        return None if self.fraction is None else 100 * self.fraction


def improvement_shares_counted(
    counted: Iterable[tuple[tuple[float, float], int]],
) -> tuple[Share, Share]:
    """`improvement_shares` of the (baseline, value) pairs each repeated its count of times."""
    by_points = by_half = pairs = known = 0
    for (baseline, value), n in counted:
        pairs += n
        by_points += n * improved_by_points(baseline, value)
        improved = improved_by_fraction(baseline, value)
        if improved is not None:
            known += n
            by_half += n * improved
    return Share(by_points, pairs), Share(by_half, known)


def improvement_shares(pairs: Sequence[tuple[float, float]]) -> tuple[Share, Share]:
    """Shares of (baseline, value) pairs improved by ≥ 1.5 points and by ≥ 50 %.

    A zero baseline cannot improve by a fraction: it is left out of the second share's n.
    """
    by_points = sum(improved_by_points(baseline, value) for baseline, value in pairs)
    fractions = [improved_by_fraction(baseline, value) for baseline, value in pairs]
    known = [improved for improved in fractions if improved is not None]
    return Share(by_points, len(pairs)), Share(sum(known), len(known))
