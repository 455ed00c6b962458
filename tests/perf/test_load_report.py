"""The load benchmark's report: targets skip the yardsticks; the page budget's arithmetic."""

import pytest

from bench import load


def _row(name: str, rps: float) -> dict:
    return {"endpoint": name, "rps": rps}


class _Stats:
    """Just what rows_of reads of bench.load.Stats."""

    def __init__(self, rate: float):
        self.rate = rate
        self.latencies = [0.01] * 10
        self.errors = 0
        self.first_errors = []
        self.cpu = (0.0, 0.0, 0.0)

    def connections_per_request(self) -> float:
        return 0.0

    def percentile(self, fraction: float) -> float:
        return 10.0

    def cpu_ms(self, index: int) -> float:
        return 0.0


def test_no_throughput_target_applies_to_the_yardsticks():
    stats = {"floor": _Stats(500), "floor page": _Stats(90), "worklist": _Stats(90)}
    rows = {row["endpoint"]: row for row in load.rows_of(stats, list(stats), stats["floor"])}
    assert rows["floor page"]["missed"] == []
    assert rows["worklist"]["missed"] == [f"< {load.FLOOR_RATIO_TARGET:.0%} of floor"]
    assert rows["worklist"]["floor_ratio"] == 0.18


def test_a_page_at_a_fifth_of_the_floor_misses_nothing():
    stats = {"floor": _Stats(500), "worklist": _Stats(100)}
    rows = {row["endpoint"]: row for row in load.rows_of(stats, list(stats), stats["floor"])}
    assert rows["worklist"]["missed"] == []


def test_page_budget_is_the_target_time_per_request_less_the_floor_page():
    rows = [_row("floor", 500.0), _row("floor page", 250.0), _row("worklist", 125.0)]
    budget = load.page_budget(rows)
    # 1 / (0.20 × 500) = 10 ms a page may take; the floor page takes 4 ms of it.
    assert budget["floor_ms"] == 2.0
    assert budget["floor_page_ms"] == 4.0
    assert budget["budget_ms"] == pytest.approx(6.0, abs=0.01)
    assert budget["pages_ms"] == {"worklist": 4.0}


def test_page_budget_needs_both_yardsticks():
    assert load.page_budget([_row("floor", 500.0), _row("worklist", 125.0)]) is None
    assert load.page_budget([_row("floor", 500.0), _row("floor page", 0.0)]) is None


def test_connection_churn_names_the_endpoints_that_open_database_sessions():
    rows = [
        {"endpoint": "floor", "db_connections_per_request": 0.0},
        {"endpoint": "worklist", "db_connections_per_request": 0.01},
        {"endpoint": "review decision", "db_connections_per_request": 0.98},
        {"endpoint": "live evaluation"},  # measured in the mix only: no figure
    ]
    assert load.connection_churn(rows) == {"review decision": 0.98}
