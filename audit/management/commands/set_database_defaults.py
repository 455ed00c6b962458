"""Set on the database what Django would otherwise set per connection: run after migrate.

    DATABASE_URL=<owner url> python manage.py set_database_defaults

Behind PgBouncer in transaction mode a connection carries no session settings of its own
(PgBouncer drops the `options` startup parameter), so jit = off and timezone = UTC become the
database's defaults (docs/deploy.md). Harmless without PgBouncer.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg2 import sql

# jit: see vpselect/settings/base.py (database_settings); UTC: what Django expects (USE_TZ).
DEFAULTS = {"jit": "off", "timezone": "UTC"}


class Command(BaseCommand):
    help = "Make jit = off and timezone = UTC the database's defaults (for PgBouncer)."

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database defaults are a PostgreSQL set-up.")
        name = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            for setting, value in DEFAULTS.items():
                cursor.execute(
                    sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        sql.Identifier(name), sql.Identifier(setting), sql.Literal(value)
                    )
                )
        self.stdout.write(f"Database {name}: jit = off, timezone = UTC by default.")
