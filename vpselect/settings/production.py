"""Production settings: refuse to start without the secrets, and pass check --deploy."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEVELOPMENT_SECRET_KEY, database_settings, env

for _name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "VPSELECT_PUBLIC_URL"):
    if not env(_name, default=""):
        raise ImproperlyConfigured(f"Set the {_name} environment variable for production.")

# Keys that were ever published with VPSELECT (settings, docker-compose.yml, docs): anyone can
# forge sessions signed with them. Django's own check only wants 50 characters and variety.
KNOWN_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "change-me-to-a-long-random-secret-before-any-real-use",
    }
)
MIN_SECRET_KEY_LENGTH = 50
WEAK_KEY_REFUSED = (
    "DJANGO_SECRET_KEY is a published default or shorter than {length} characters. Make one "
    'with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
)
PUBLIC_URL_REFUSED = (
    "VPSELECT_PUBLIC_URL must be the https:// address clinicians reach VPSelect at "
    "(e-mail and CDS card links are built from it)."
)


def refuse_weak_secret_keys(*keys: str) -> None:
    """Raise ImproperlyConfigured for a published default or a key too short to be random."""
    for key in keys:
        if key in KNOWN_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise ImproperlyConfigured(WEAK_KEY_REFUSED.format(length=MIN_SECRET_KEY_LENGTH))


DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
refuse_weak_secret_keys(SECRET_KEY, *SECRET_KEY_FALLBACKS)
VPSELECT_PUBLIC_URL = env("VPSELECT_PUBLIC_URL")
if not VPSELECT_PUBLIC_URL.startswith("https://") or len(VPSELECT_PUBLIC_URL) <= len("https://"):
    raise ImproperlyConfigured(PUBLIC_URL_REFUSED)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": database_settings(env("DATABASE_URL"))}

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
