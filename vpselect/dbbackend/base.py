"""Django's PostgreSQL backend, opening a connection again for a few seconds if it is refused.

PgBouncer restarts in well under a second (docs/deploy.md). A request that needs a new
connection in that moment would fail with a 500; opening a connection changes nothing, so
trying again is safe, and the request waits instead. Only the opening is retried, never a
query. DATABASES["default"]["CONNECT_RETRY_SECONDS"] (0: no retry) bounds the wait.
"""

import logging
import time

from django.db.backends.postgresql import base

logger = logging.getLogger(__name__)

RETRY_PAUSE_SECONDS = 0.2


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        deadline = time.monotonic() + self.settings_dict.get("CONNECT_RETRY_SECONDS", 0)
        while True:
            try:
                return super().get_new_connection(conn_params)
            except base.Database.OperationalError as exc:
                if time.monotonic() + RETRY_PAUSE_SECONDS > deadline:
                    raise
                logger.warning("Database connection refused (%s); again.", type(exc).__name__)
                time.sleep(RETRY_PAUSE_SECONDS)
