"""`manage.py evaluate CASE.json`: the engine's result for one case, as JSON on stdout."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from eligibility.conf import get_thresholds
from eligibility.engine import (
    CaseValidationError,
    FieldError,
    evaluate,
    explain_text,
    parse_case_json,
    result_to_json,
)

# Exit status for input that is not a valid case (argparse uses it for bad arguments too).
EXIT_INVALID = 2


class Command(BaseCommand):
    # Needs settings only: no system checks, no database.
    requires_system_checks: list[str] = []
    help = (
        "Evaluate a vertebroplasty referral case (JSON, see shared/clinical/case.schema.json) "
        "and print the result JSON. Invalid input: exit status 2, one 'field: message' line "
        "per problem on standard error, nothing on standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("case", help="Path of the case JSON file, or - for standard input.")
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--pretty", action="store_true", help="Indent the result JSON.")
        output.add_argument(
            "--explain", action="store_true", help="Print the findings as a readable table."
        )

    def handle(self, *args, case: str, pretty: bool, explain: bool, **options) -> None:
        try:
            thresholds = get_thresholds()
        except ValueError as exc:  # the clinic's settings, not the case, are wrong
            raise CommandError(f"VPSELECT_THRESHOLDS is invalid: {exc}") from exc
        try:
            result = evaluate(
                parse_case_json(self._read(case)),
                today=timezone.localdate(),
                thresholds=thresholds,
            )
        except CaseValidationError as exc:
            for error in exc.errors:
                self.stderr.write(
                    f"{error.field}: {error.message}" if error.field else error.message
                )
            sys.exit(EXIT_INVALID)
        if explain:
            self.stdout.write(explain_text(result), ending="")
        else:
            self.stdout.write(result_to_json(result, pretty=pretty))

    def _read(self, case: str) -> bytes:
        try:
            if case == "-":
                return sys.stdin.buffer.read()
            with open(case, "rb") as handle:
                return handle.read()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CaseValidationError([FieldError("", f"Cannot read {case}: {reason}.")]) from exc
