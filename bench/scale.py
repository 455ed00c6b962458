"""Growth bench (issue 25): the pages at a person's pace at two sizes of data, in one run.

    .venv/bin/python bench/scale.py [--scales 1,25] [--pace-seconds 32] [--pace-users 16]

For each scale N: `bench/seed.py --scale N` (timed), then `bench/load.py --paced-only` (every
page that reads, at a person's pace, at least 300 requests each at the defaults), then the
queries per request of each page and the two CSV exports (first byte, peak memory of the
process), both in-process (`bench/export_probe.py`). Then one table: each page's p95 at
every scale, its ratio to the first scale and the targets (p95 <= 100 ms at the last scale,
<= 1.5 x the first; the same number of queries). The bench database is the seed's (its
name must contain "bench"); the tables go to artifacts/bench-scale.json. Exit 1 on a miss.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402 - after the path setup above

P95_LIMIT_MS = 100.0
GROWTH_LIMIT = 1.5
EXPORT_MEMORY_LIMIT_MB = 150.0
FIRST_BYTE_LIMIT_S = 1.0


def _run(args: list[str]) -> str:
    """A bench script's output (printed as it goes); exit on its failure."""
    process = subprocess.run(  # noqa: S603 - our own scripts, fixed arguments
        [sys.executable, *args], cwd=common.REPO, capture_output=True, text=True, check=False
    )
    sys.stdout.write(process.stdout)
    if process.returncode != 0:
        sys.stderr.write(process.stderr[-4000:])
        raise SystemExit(f"{' '.join(args)} exited {process.returncode}")
    return process.stdout


def measure(scale: float, args) -> dict:
    began = time.perf_counter()
    if not args.no_seed:
        _run(["bench/seed.py", "--scale", f"{scale:g}"])
    seeded = time.perf_counter() - began
    label = f"scale-{scale:g}"
    load_before = os.getloadavg()
    _run(
        [
            "bench/load.py",
            "--paced-only",
            "--pace-users",
            str(args.pace_users),
            "--pace-seconds",
            str(args.pace_seconds),
            "--budget",
            str(60 + 20 * (args.pace_seconds + 1)),
            "--label",
            label,
        ]
    )
    report = json.loads((common.REPO / "artifacts" / f"bench-load-{label}.json").read_text())
    probe = json.loads(_run(["bench/export_probe.py", "--json"]).splitlines()[-1])
    return {
        "scale": scale,
        "seed_seconds": round(seeded, 1),
        "load_average": [round(x, 2) for x in load_before],
        "paced": {row["endpoint"]: row for row in report["paced"]},
        "queries": probe["queries"],
        "exports": probe["exports"],
        "rows": probe["rows"],
    }


def verdicts(first: dict, last: dict) -> tuple[list[dict], list[str]]:
    rows, missed = [], []
    for name, row in last["paced"].items():
        before = first["paced"].get(name)
        ratio = row["p95_ms"] / before["p95_ms"] if before and before["p95_ms"] else None
        queries = (first["queries"].get(name), last["queries"].get(name))
        problems = []
        if row["p95_ms"] > P95_LIMIT_MS:
            problems.append(f"p95 > {P95_LIMIT_MS:g} ms")
        if ratio is not None and ratio > GROWTH_LIMIT:
            problems.append(f"> {GROWTH_LIMIT:g} x")
        if queries[0] != queries[1]:
            problems.append("queries changed")
        if row["requests"] < 300:
            problems.append("< 300 requests")
        rows.append({"endpoint": name, "ratio": ratio, "queries": queries, "missed": problems})
        missed += [f"{name}: {problem}" for problem in problems]
    for name, export in last["exports"].items():
        if export["peak_mb"] > EXPORT_MEMORY_LIMIT_MB:
            missed.append(f"{name}: peak {export['peak_mb']:.0f} MB")
        if export["first_byte_s"] > FIRST_BYTE_LIMIT_S:
            missed.append(f"{name}: first byte {export['first_byte_s']:.2f} s")
    return rows, missed


def print_tables(results: list[dict], rows: list[dict]) -> None:
    first, last = results[0], results[-1]
    print()
    for result in results:
        print(
            f"scale {result['scale']:g}: seeded in {result['seed_seconds']:.0f} s; "
            f"load average {result['load_average'][0]:.2f}; rows: "
            + ", ".join(f"{k} {v:,}" for k, v in result["rows"].items())
        )
    head = f"{'page':<20}" + "".join(
        f" {'p95 @' + format(r['scale'], 'g'):>9} {'db ms':>6} {'req':>5}" for r in results
    )
    head += f" {'ratio':>6} {'queries':>9}  verdict"
    print("\nAt a person's pace (p95 ms; db ms: PostgreSQL CPU per request)")
    print(head)
    print("-" * len(head))
    for row in rows:
        name = row["endpoint"]
        line = f"{name:<20}"
        for result in results:
            paced = result["paced"].get(name, {})
            line += (
                f" {paced.get('p95_ms', 0):>9.1f} {paced.get('db_cpu_ms', 0):>6.1f}"
                f" {paced.get('requests', 0):>5}"
            )
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        queries = f"{row['queries'][0]}/{row['queries'][1]}"
        verdict = "MISSED: " + ", ".join(row["missed"]) if row["missed"] else "ok"
        print(f"{line} {ratio:>6} {queries:>9}  {verdict}")
    print("\nCSV exports, in-process (first byte; peak resident memory of the process)")
    for name in last["exports"]:
        cells = [
            f"scale {r['scale']:g}: {r['exports'][name]['rows']:,} rows, first byte "
            f"{r['exports'][name]['first_byte_s']:.2f} s, {r['exports'][name]['seconds']:.1f} s "
            f"in all, peak {r['exports'][name]['peak_mb']:.0f} MB"
            for r in (first, last)
        ]
        print(f"  {name}: " + "; ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,25", help="comma-separated (1,25)")
    parser.add_argument("--pace-seconds", type=float, default=32.0, help="per page (32)")
    parser.add_argument("--pace-users", type=int, default=16, help="paced users (16)")
    parser.add_argument(
        "--no-seed", action="store_true", help="measure the database as it is (one scale)"
    )
    args = parser.parse_args(argv)
    scales = [float(value) for value in args.scales.split(",")]
    results = [measure(scale, args) for scale in scales]
    rows, missed = verdicts(results[0], results[-1])
    print_tables(results, rows)
    (common.REPO / "artifacts" / "bench-scale.json").write_text(
        json.dumps({"results": results, "verdicts": rows, "missed": missed}, indent=2)
    )
    print(f"\ntargets missed: {', '.join(missed) or 'none'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
