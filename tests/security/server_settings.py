"""Settings of the server process the resilience tests start: the test settings with the
production database connection handling (kept for 60 s, checked before reuse)."""

import os

from vpselect.settings.test import *  # noqa: F403
from vpselect.settings.test import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 60
# Turned off only to show that the health check is what saves the request after a drop.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ.get("VPSELECT_TEST_HEALTH_CHECKS") != "0"
# The tests find (and cut) this server's database sessions by this name.
DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = "vpselect-resilience-server"
