"""Give the application's PostgreSQL role its rights: run as the tables' owner after migrate.

    DATABASE_URL=<owner url> python manage.py grant_app_role --role vpselect_app

The password is read from VPSELECT_DB_APP_PASSWORD (never from the command line, which `ps`
shows). Run it after every `migrate`: tables added by a migration get the same grants.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.dbroles import provision


class Command(BaseCommand):
    help = "Create (if needed) and grant the application's PostgreSQL role; run after migrate."

    def add_arguments(self, parser):
        parser.add_argument(
            "--role", default=os.environ.get("VPSELECT_DB_APP_ROLE", "vpselect_app")
        )

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The application role is a PostgreSQL set-up.")
        if connection.settings_dict["USER"] == role:
            raise CommandError("Run this as the owner of the tables, not as the app role.")
        password = os.environ.get("VPSELECT_DB_APP_PASSWORD") or None
        with transaction.atomic(), connection.cursor() as cursor:
            provision(
                cursor.cursor,
                role=role,
                database=connection.settings_dict["NAME"],
                password=password,
            )
        self.stdout.write(f"Granted the application's rights to the role {role}.")
