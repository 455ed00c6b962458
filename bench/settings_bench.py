"""Settings of the load benchmark: production, relaxed only where plain http on 127.0.0.1 needs it.

Everything else is production's (DEBUG off, Argon2, the whole middleware stack, persistent
database connections, the manifest static storage). The bench server is reached over http,
so cookies must not be marked Secure and nothing may redirect to https. The floor view
(`vpselect.floor`) is routed.
"""

from vpselect.settings.production import *  # noqa: F403
from vpselect.settings.production import env

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
VPSELECT_BENCH_FLOOR = env.bool("VPSELECT_BENCH_FLOOR", default=True)
