"""`manage.py ruleset_replay --thresholds FILE.json [--json]`: what a threshold change would do
to every submitted referral, without saving anything."""

import json
import sys

from django.core.management.base import BaseCommand

from eligibility.conf import get_thresholds
from eligibility.engine import THRESHOLD_NAMES, Thresholds
from governance.replay import ReplayTally, replay_queryset, replay_rows

EXIT_INVALID = 2


class Command(BaseCommand):
    help = (
        "Replay the latest evaluation of every submitted referral under the active thresholds "
        "changed by FILE.json (threshold names of the spec mapped to values, e.g. "
        '{"INR_MAX": 1.8}). Prints the referrals counted, how many change recommendation and '
        "the transitions. Saves nothing. An invalid file: exit status 2 and the field named."
    )

    def add_arguments(self, parser):
        parser.add_argument("--thresholds", required=True, metavar="FILE.json")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print the counts as JSON."
        )

    def handle(self, *args, thresholds: str, as_json: bool, **options) -> None:
        changed = self._read(thresholds)
        replayed = Thresholds.from_overrides({**get_thresholds().as_named(), **changed})
        tally = ReplayTally(replayed)
        for row in replay_rows(replay_queryset()):
            tally.add(row)
        summary = tally.summary()
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(f"Referrals replayed: {summary['referrals']}")
        self.stdout.write(f"Recommendation changes: {summary['changed']}")
        for transition, count in summary["transitions"].items():
            self.stdout.write(f"  {transition.replace('->', ' → ')}: {count}")
        if tally.unreadable:
            self.stdout.write(f"Stored cases the engine no longer accepts: {tally.unreadable}")

    def _fail(self, field: str, message: str):
        self.stderr.write(f"{field}: {message}")
        sys.exit(EXIT_INVALID)

    def _read(self, path: str) -> dict:
        try:
            with open(path, "rb") as handle:
                document = json.loads(handle.read())
        except OSError as exc:
            self._fail("thresholds", f"cannot read {path}: {exc.strerror or exc}.")
        except (ValueError, UnicodeDecodeError) as exc:
            self._fail("thresholds", f"{path} is not valid JSON: {exc}.")
        if not isinstance(document, dict) or not document:
            self._fail(
                "thresholds",
                "the file must be a JSON object mapping threshold names to values, e.g. "
                '{"INR_MAX": 1.8}.',
            )
        for name, value in document.items():
            if name not in THRESHOLD_NAMES:
                self._fail(name, f"unknown threshold; known: {', '.join(THRESHOLD_NAMES)}.")
            try:
                Thresholds.from_overrides({name: value})
            except ValueError as exc:
                self._fail(name, str(exc))
        return document
