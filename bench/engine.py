"""Benchmark of the eligibility engine: validation and evaluation of generated cases.

    .venv/bin/python bench/engine.py [--n 100000] [--seed 2026] [--repeat 3]

Generates single- and multi-level cases (seeded, so every run times the same cases), some
inputs absent or null as in real referrals, and prints the time per case and per level of
validation, evaluation, both, and JSON output, next to baselines measured in the same run on
the same cases: json.loads of the case's JSON text and a copy of its dicts.

The machine may be shared: times are this thread's CPU time (time.thread_time), and the cases
are timed in chunks of 200, each chunk --repeat times (every row in turn), keeping each
chunk's best. The cases
themselves are frozen out of the garbage collector's view (gc.freeze), as a server's small
live set would be; collections of what the engine allocates still count. Exits non-zero only
on an error, never on a slow figure.
"""

import argparse
import collections
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eligibility.engine import (  # noqa: E402 - after the path setup above
    CaseValidationError,
    evaluate,
    evaluate_facts,
    result_to_json,
    validate_case,
)
from eligibility.engine.facts import ETIOLOGIES, LEVEL_LABELS  # noqa: E402

TODAY = date(2026, 11, 24)
TARGET_EVALUATION_PER_LEVEL_US = 20.0
TARGET_CASE_US = 150.0
PAIN_WEIGHTS = (3, 1, 1, 2, 3, 5, 8, 12, 14, 10, 6)


def _maybe(rng: random.Random, value, *, null: float = 0.05, absent: float = 0.03):
    """The value, or None (null), or the marker for a key left out."""
    roll = rng.random()
    if roll < absent:
        return _ABSENT
    if roll < absent + null:
        return None
    return value


_ABSENT = object()


def _clean(mapping: dict) -> dict:
    return {key: value for key, value in mapping.items() if value is not _ABSENT}


def generate_case(rng: random.Random) -> dict:
    """One plausible referral: 1 level mostly, up to 5; most inputs known."""
    assessed_on = TODAY - timedelta(days=rng.randrange(0, 400))
    count = rng.choices([1, 2, 3, 4, 5], weights=[60, 25, 10, 3, 2])[0]
    labels = rng.sample(LEVEL_LABELS[7:24], count)  # thoracolumbar, as referred in practice
    coagulopathy = rng.random() < 0.15
    radicular = rng.random() < 0.2
    born = assessed_on - timedelta(days=rng.randrange(40, 95) * 365)
    case = {
        "assessed_on": assessed_on.isoformat() if rng.random() < 0.9 else _ABSENT,
        "patient": _maybe(
            rng,
            {
                "sex": rng.choice(["female", "female", "male", "other"]),
                "date_of_birth": born.isoformat(),
            },
            null=0,
        ),
        "pain_controlled_by_medical_therapy": _maybe(rng, rng.random() < 0.1),
        "coagulopathy": _maybe(rng, coagulopathy),
        "coagulopathy_corrected": _maybe(rng, rng.random() < 0.7) if coagulopathy else None,
        "inr": _maybe(rng, max(0.8, round(rng.gauss(1.1, 0.2), 1)), null=0.2),
        "platelets": _maybe(rng, max(10, round(rng.gauss(250, 70))), null=0.2),
        "systemic_infection": _maybe(rng, rng.random() < 0.03),
        "local_infection": _maybe(rng, rng.random() < 0.03),
        "allergies": _maybe(rng, ["contrast"] if rng.random() < 0.05 else []),
        "radicular_pain": _maybe(rng, radicular),
        "radicular_cause": _maybe(
            rng, rng.choice(["vertebral_collapse", "unrelated_compression"]) if radicular else None
        ),
        "levels": [],
    }
    for label in labels:
        etiology = rng.choices(ETIOLOGIES, weights=[60, 20, 6, 6, 5, 3])[0]
        fracture = rng.random() < 0.85
        age = rng.choice([rng.randrange(0, 120), rng.randrange(0, 900)])
        case["levels"].append(
            _clean(
                {
                    "level": label,
                    "etiology": _maybe(rng, etiology, null=0.03, absent=0.01),
                    # Referred for pain: mostly moderate to severe.
                    "pain_nrs": _maybe(rng, rng.choices(range(11), weights=PAIN_WEIGHTS)[0]),
                    "fracture": _maybe(rng, fracture),
                    "fracture_date": _maybe(
                        rng, (assessed_on - timedelta(days=age)).isoformat() if fracture else None
                    ),
                    "imaging_acute": _maybe(rng, rng.random() < 0.75),
                    "high_fracture_risk": _maybe(rng, rng.random() < 0.5, null=0.3),
                    "osteomyelitis": _maybe(rng, rng.random() < 0.02),
                    "canal_compromise_pct": _maybe(rng, rng.choice([0, 5, 10, 15, 25, 35])),
                    "epidural_extension": _maybe(rng, rng.random() < 0.1, null=0.3),
                }
            )
        )
    return _clean(case)


CHUNK = 200


def best_times(repeat: int, rows: list[tuple[str, Callable[[list], None], list]]) -> dict:
    """CPU seconds per row: the sum over chunks of each chunk's best of `repeat` runs.

    Rows are interleaved chunk by chunk, so a burst of load elsewhere on the machine hits
    every row alike instead of one.
    """
    clock = time.thread_time
    totals = dict.fromkeys((name for name, _, _ in rows), 0.0)
    longest = max(len(items) for _, _, items in rows)
    for start in range(0, longest, CHUNK):
        for name, run, items in rows:
            chunk = items[start : start + CHUNK]
            if not chunk:
                continue
            best = float("inf")
            for _ in range(repeat):
                began = clock()
                run(chunk)
                best = min(best, clock() - began)
            totals[name] += best
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of cases (100000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per chunk, best kept (5)")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    rng = random.Random(args.seed)
    cases = [generate_case(rng) for _ in range(args.n)]
    texts = [json.dumps(case) for case in cases]
    try:
        facts = [validate_case(case, today=TODAY) for case in cases]
    except CaseValidationError as exc:
        print(f"A generated case is invalid: {exc}", file=sys.stderr)
        return 1
    results = [evaluate_facts(item) for item in facts]
    n = len(cases)
    levels = sum(len(item.levels) for item in facts)
    unknown_levels = sum(
        any(f["status"] == "unknown" for f in level["findings"])
        for result in results
        for level in result["levels"]
    )

    def loads(chunk: list) -> None:
        for _case, text, _facts in chunk:
            json.loads(text)

    def copy_dicts(chunk: list) -> None:
        for case, _text, _facts in chunk:
            {**case, "levels": [dict(level) for level in case["levels"]]}  # noqa: B018

    def validate(chunk: list) -> None:
        for case, _text, _facts in chunk:
            validate_case(case, today=TODAY)

    def evaluate_only(chunk: list) -> None:
        for _case, _text, item in chunk:
            evaluate_facts(item)

    def validate_and_evaluate(chunk: list) -> None:
        for case, _text, _facts in chunk:
            evaluate(case, today=TODAY)

    def end_to_end(chunk: list) -> None:
        for _case, text, _facts in chunk:
            result_to_json(evaluate(json.loads(text), today=TODAY))

    items = list(zip(cases, texts, facts, strict=True))
    complete = [item for item, result in zip(items, results, strict=True) if not result["missing"]]
    incomplete = [item for item, result in zip(items, results, strict=True) if result["missing"]]
    # (name, what to run, over which cases)
    rows = [
        ("baseline: json.loads of the case", loads, items),
        ("baseline: copy of the case's dicts", copy_dicts, items),
        ("validate_case", validate, items),
        ("evaluate_facts (evaluation alone)", evaluate_only, items),
        ("  … cases with nothing missing", evaluate_only, complete),
        ("  … cases with something missing", evaluate_only, incomplete),
        ("evaluate (validation + evaluation)", validate_and_evaluate, items),
        ("json.loads + evaluate + result_to_json", end_to_end, items),
    ]
    gc.collect()
    gc.freeze()
    # name -> (seconds, cases, levels)
    seconds = best_times(args.repeat, rows)
    figures = {
        name: (seconds[name], len(over), sum(len(item[2].levels) for item in over))
        for name, _, over in rows
    }

    # Per-case spread of validation + evaluation, each call timed alone (the clock adds ~1 µs).
    single = []
    clock = time.thread_time_ns
    for case in cases:
        start = clock()
        evaluate(case, today=TODAY)
        single.append(clock() - start)
    single.sort()

    def pct(q: float) -> float:
        return single[min(len(single) - 1, int(q * len(single)))] / 1000

    print(
        f"Eligibility engine benchmark — {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(
        f"Load average (1 min) {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
        "end: figures rise with the load of other work on the machine."
    )
    print(
        f"{n:,} cases (seed {args.seed}), {levels:,} levels ({levels / n:.2f} per case); "
        f"{unknown_levels / levels:.0%} of levels have an unknown finding; "
        f"CPU time, best of {args.repeat} per chunk of {CHUNK}"
    )
    shares = collections.Counter(r["recommendation"] for r in results)
    print("Recommendations: " + ", ".join(f"{k} {v / n:.0%}" for k, v in shares.most_common()))
    print()
    baseline = figures[rows[0][0]][0] / n
    print(f"{'':40} {'cases':>7} {'µs/case':>9} {'µs/level':>9} {'× json.loads':>13}")
    for name, _, _ in rows:
        seconds, count, in_levels = figures[name]
        print(
            f"{name:40} {count:7,} {seconds / count * 1e6:9.2f} "
            f"{seconds / in_levels * 1e6:9.2f} {seconds / count / baseline:13.2f}"
        )
    print()
    print(
        "evaluate, each call timed alone (µs/case): "
        f"p50 {pct(0.50):.1f}, p90 {pct(0.90):.1f}, p99 {pct(0.99):.1f}, "
        f"max {single[-1] / 1000:.0f}"
    )
    evaluation_per_level = figures["evaluate_facts (evaluation alone)"][0] / levels * 1e6
    per_case = figures["evaluate (validation + evaluation)"][0] / n * 1e6
    print()
    print(
        f"Target: evaluation alone ≤ {TARGET_EVALUATION_PER_LEVEL_US:g} µs per level: "
        f"{evaluation_per_level:.1f} µs "
        f"({'met' if evaluation_per_level <= TARGET_EVALUATION_PER_LEVEL_US else 'NOT met'})"
    )
    print(
        f"Target: validation + evaluation ≤ {TARGET_CASE_US:g} µs per case: {per_case:.1f} µs "
        f"({'met' if per_case <= TARGET_CASE_US else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
