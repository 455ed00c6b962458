from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import seed_demo_users
from outcomes.demo import seed_demo_outcomes
from outcomes.demo_journeys import seed_demo_journeys
from patients.demo import seed_demo_patients

TOTP_HINT = "+ the code `make demo-totp` prints"


class Command(BaseCommand):
    help = "Create the demo users (one per role) and demo patients. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="", help="Where the app will answer, printed above the users."
        )

    @transaction.atomic
    def handle(self, *args, url="", **options):
        rows = seed_demo_users()
        created = seed_demo_patients() + seed_demo_journeys() + seed_demo_outcomes()
        self.stdout.write(f"Demo patients: {created} created (existing ones are kept).")
        mail_to = getattr(settings, "EMAIL_FILE_PATH", None)
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend") and mail_to:
            self.stdout.write(f"Demo e-mails are written to {mail_to}/ (nothing is sent).")
        self.stdout.write("")
        if url:
            self.stdout.write(f"VPSelect: {url}  (log in as one of these demo users)")
        width = max(len(role) for _, role, _ in rows)
        self.stdout.write(f"  {'Role':<{width}}  {'User':<12}  Password")
        self.stdout.write(f"  {'-' * width}  {'-' * 12}  {'-' * 20}")
        for username, role, password in rows:
            extra = f" {TOTP_HINT}" if username == "admin" else ""
            self.stdout.write(f"  {role:<{width}}  {username:<12}  {password}{extra}")
        self.stdout.write("")
