"""Settings of the load benchmark: production, relaxed only where plain http on 127.0.0.1 needs it.

Everything else is production's (DEBUG off, Argon2, the whole middleware stack, persistent
database connections, the manifest static storage). The bench server is reached over http,
so cookies must not be marked Secure and nothing may redirect to https. The floor views
(`bench/floor.py`) are routed by the bench's own URLconf.
"""

from vpselect.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ROOT_URLCONF = "bench.urls"
