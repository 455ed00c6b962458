"""Count the whole cohort again into the dashboard's tally (after a bulk load or a restore)."""

from django.core.management.base import BaseCommand

from outcomes.services.tallies import cohort_tally_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the outcomes dashboard's tally of the whole cohort from the procedures, "
        "follow-ups, invitations and reports. Safe to run at any time."
    )

    def handle(self, *args, **options):
        rows = cohort_tally_rebuild()
        if options["verbosity"]:
            self.stdout.write(f"Cohort tally rebuilt: {rows} counts.")
