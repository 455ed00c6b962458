"""Cohort statistics on a small dataset checked by hand (numbers worked out in comments)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes import statistics

# Five patients: baseline pain NRS and pain at one month.
BASELINES = [8, 9, 7, 10, 6]
ONE_MONTH = [3, 5, 6, 2, 6]
# Falls: 5, 4, 1, 8, 0 points; as fractions of baseline 62.5 %, 44 %, 14 %, 80 %, 0 %.


def test_median_of_an_odd_sample_is_its_middle_value():
    assert statistics.median(ONE_MONTH) == 5  # sorted 2 3 [5] 6 6


def test_median_of_an_even_sample_is_the_mean_of_the_middle_two():
    assert statistics.median([1, 2, 3, 4]) == 2.5


def test_inclusive_quartiles_interpolate_between_ranked_values():
    # Sorted 2 3 5 6 6: Q1 at rank 1 (0-based, (n-1)/4) = 3, Q3 at rank 3 = 6.
    assert statistics.quartiles(ONE_MONTH) == (3.0, 5.0, 6.0)
    # Sorted 1 2 3 4: Q1 at rank 0.75 → 1 + 0.75 = 1.75; Q3 at rank 2.25 → 3 + 0.25 = 3.25.
    assert statistics.quartiles([4, 1, 3, 2]) == (1.75, 2.5, 3.25)


def test_summary_gives_n_median_quartiles_and_iqr():
    summary = statistics.summarise(BASELINES)  # sorted 6 7 8 9 10

    assert (summary.n, summary.median, summary.q1, summary.q3, summary.iqr) == (5, 8, 7, 9, 2)


def test_a_single_value_is_its_own_median_and_quartiles_and_none_has_none():
    assert statistics.summarise([4]) == statistics.Summary(1, 4, 4, 4)
    assert statistics.summarise([]) == statistics.Summary(0, None, None, None)
    assert statistics.summarise([]).iqr is None


def test_improvement_shares_count_falls_of_1_5_points_and_of_half_the_baseline():
    by_points, by_half = statistics.improvement_shares(list(zip(BASELINES, ONE_MONTH, strict=True)))

    # ≥ 1.5 points: 5, 4 and 8 → 3 of 5. ≥ 50 %: 62.5 % and 80 % → 2 of 5.
    assert (by_points.count, by_points.n, by_points.percent) == (3, 5, 60.0)
    assert (by_half.count, by_half.n, by_half.percent) == (2, 5, 40.0)


@pytest.mark.parametrize(
    ("baseline", "value", "points", "half"),
    [
        (5, 3.5, True, False),  # exactly 1.5 points: important; 30 %
        (5, 4, False, False),  # 1 point
        (4, 2, True, True),  # exactly 50 %
        (3, 2, False, False),
        (2, 3, False, False),  # worse
    ],
)
def test_improvement_thresholds_include_their_boundary(baseline, value, points, half):
    assert statistics.improved_by_points(baseline, value) is points
    assert statistics.improved_by_fraction(baseline, value) is half


def test_a_zero_baseline_cannot_improve_by_a_fraction_and_is_left_out_of_that_share():
    by_points, by_half = statistics.improvement_shares([(0, 0), (8, 2)])

    assert statistics.improved_by_fraction(0, 0) is None
    assert (by_points.count, by_points.n) == (1, 2)
    assert (by_half.count, by_half.n) == (1, 1)


def test_an_empty_share_has_no_fraction():
    assert statistics.Share(0, 0).fraction is None
    assert statistics.Share(0, 0).percent is None


# --- From counts per value (the dashboard's tally) ---------------------------------------

counted_values = st.lists(
    st.tuples(st.integers(0, 10), st.integers(0, 40)), max_size=12
) | st.lists(st.tuples(st.sampled_from([1.5, 2.0, 3.5, 4.0, 6.5]), st.integers(0, 9)), max_size=6)


def _expanded(counted):
    return [value for value, n in counted for _ in range(n)]


@given(counted_values)
@settings(max_examples=300, deadline=None)
def test_quartiles_from_counts_are_those_of_the_values_repeated(counted):
    assert statistics.summarise_counted(counted) == statistics.summarise(_expanded(counted))


@given(st.lists(st.tuples(st.tuples(st.integers(0, 10), st.integers(0, 10)), st.integers(0, 30))))
@settings(max_examples=300, deadline=None)
def test_improvement_shares_from_counts_are_those_of_the_pairs_repeated(counted):
    expected = statistics.improvement_shares(_expanded(counted))
    assert statistics.improvement_shares_counted(counted) == expected


def test_quartiles_from_counts_of_the_hand_checked_month():
    counted = [(3, 1), (5, 1), (6, 2), (2, 1)]
    assert statistics.summarise_counted(counted) == statistics.Summary(5, 5, 3, 6)
