"""Benchmark: replaying every submitted referral of the bench database under a changed threshold.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vpselect_bench \
        .venv/bin/python bench/replay.py [--thresholds '{"SEVERE_PAIN_NRS": 6, "INR_MAX": 1.8}']

Run bench/seed.py first (20,000 referrals). Prints, from the same run:
  - the baseline: simply reading the latest evaluation of every submitted referral (the same
    streamed query, JSON decoded, nothing evaluated);
  - the replay as the Celery task runs it (`ruleset_replay_run`: stream, re-evaluate, count,
    store the changed referrals in batches, commit progress), target <= 20 s;
  - peak Python memory (tracemalloc) of the replay's loop over the first quarter, half and
    all of the referrals: flat when it does not grow with their number.
The draft version and replay it creates stay in the bench database (the seed recreates it).
"""

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402 - after the path setup above

TARGET_SECONDS = 20.0
DEFAULT_CHANGE = '{"SEVERE_PAIN_NRS": 6, "INR_MAX": 1.8}'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--thresholds", default=DEFAULT_CHANGE, help="JSON of changed values")
    args = parser.parse_args(argv)
    common.setup_django()

    from django.contrib.auth import get_user_model
    from django.db import connection

    from eligibility.conf import get_thresholds
    from eligibility.engine import Thresholds
    from eligibility.models import RulesetReplay
    from governance.replay import ReplayTally, replay_queryset, replay_rows
    from governance.services import ruleset_draft_create, ruleset_replay_run

    change = json.loads(args.thresholds)
    values = {**get_thresholds().as_named(), **change}
    thresholds = Thresholds.from_overrides(values)
    referrals = replay_queryset()
    total = referrals.count()
    if not total:
        print("The bench database has no submitted referral: run bench/seed.py first.")
        return 1

    # Warm the connection and the engine's first-use work out of the measured runs.
    for _ in zip(range(50), replay_rows(referrals), strict=False):
        pass

    began = time.perf_counter()
    read = sum(1 for _ in replay_rows(referrals))
    read_seconds = time.perf_counter() - began

    lead = get_user_model().objects.get(username=common.radiologist_username(1))
    draft = ruleset_draft_create(
        values=values,
        reasons={name: ("benchmark", "bench/replay.py") for name in change},
        summary="Benchmark of the replay.",
        by=lead,
    )
    replay = RulesetReplay.objects.create(version=draft, requested_by=lead)
    began = time.perf_counter()
    replay = ruleset_replay_run(replay_id=replay.pk)
    replay_seconds = time.perf_counter() - began
    report = replay.report

    peaks = []
    ids = list(referrals.values_list("id", flat=True))
    for share in (0.25, 0.5, 1.0):
        last_id = ids[int(len(ids) * share) - 1]
        tally = ReplayTally(thresholds)
        tracemalloc.start()
        for row in replay_rows(referrals.filter(id__lte=last_id)):
            tally.add(row)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        peaks.append((tally.referrals, peak))

    verdict = "within" if replay_seconds <= TARGET_SECONDS else "OVER"
    print(f"Replay of {common.database_name(common.database_url())} under {change}")
    print(f"  submitted referrals            {total}")
    print(f"  read the evaluations (baseline) {read_seconds:6.2f} s  ({read} rows)")
    print(
        f"  replay (task, writes report)   {replay_seconds:6.2f} s  "
        f"{replay_seconds / read_seconds:4.1f}x the reading, "
        f"{1000 * replay_seconds / total:5.2f} ms a referral; target {TARGET_SECONDS:.0f} s: "
        f"{verdict}"
    )
    print(
        f"  changed: {report['changed']} referrals, {report['levels_changed']} of "
        f"{report['levels']} levels; transitions {report['transitions']}"
    )
    for count, peak in peaks:
        print(f"  peak Python memory, {count:6d} referrals: {peak / 1e6:6.2f} MB")
    connection.close()
    return 0 if replay_seconds <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
