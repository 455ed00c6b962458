from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import seed_demo_users
from outcomes.demo import seed_demo_outcomes
from patients.demo import seed_demo_patients


class Command(BaseCommand):
    help = "Create the demo users (one per role) and demo patients. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        rows = seed_demo_users()
        created = seed_demo_patients()
        treated = seed_demo_outcomes()
        self.stdout.write("Demo users (log in at /accounts/login/):")
        for username, role, password in rows:
            self.stdout.write(f"  {role:<28} {username:<14} {password}")
        self.stdout.write(
            "The administrator also needs a code: `python manage.py demo_totp` prints the current "
            "one (or add the key GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ to an authenticator app)."
        )
        self.stdout.write(f"Demo patients: {created} created (existing ones are kept).")
        self.stdout.write(f"Demo treated patients with questionnaires: {treated} created.")
