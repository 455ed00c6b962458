"""Invite patients to their due follow-up questionnaires and remind them: the daily task."""

import datetime as dt
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outcomes.invitations import invitations_send

EXIT_INVALID = 2
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Command(BaseCommand):
    help = (
        "Send today's questionnaire invitations and reminders (what the daily beat task runs). "
        "Safe to run again: nothing is sent twice. A bad --today exits with status 2."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", help="The day to run for, YYYY-MM-DD (default: today in the clinic)."
        )

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["today"]:
            try:
                if not _ISO_DATE.match(options["today"]):
                    raise ValueError
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    f"--today: {options['today']!r} is not a date written YYYY-MM-DD.",
                    returncode=EXIT_INVALID,
                ) from None
        run = invitations_send(today=today, now=timezone.now())
        self.stdout.write(
            f"{today.isoformat()}: {run.invited} invited, {run.reminded} reminded, "
            f"{run.failed} failed (tried again next run)."
        )
