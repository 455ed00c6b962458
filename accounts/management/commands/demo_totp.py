from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_ADMIN_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo administrator (demo data only)."

    def handle(self, *args, **options):
        if not TOTPDevice.objects.filter(key=DEMO_ADMIN_TOTP_KEY, confirmed=True).exists():
            raise CommandError("No demo administrator here: run `manage.py seed_demo` first.")
        self.stdout.write(f"{totp(bytes.fromhex(DEMO_ADMIN_TOTP_KEY)):06d}")
