"""System checks of the EHR connection's settings."""

from django.conf import settings
from django.core.checks import Error, Warning, register

MIN_TOKEN_LENGTH = 32


@register()
def check_cds_hooks_settings(app_configs=None, **kwargs) -> list:
    """The development CDS Hooks secret, if set, must be long; the public URL must be http(s)."""
    problems: list = []
    token = getattr(settings, "VPSELECT_CDS_HOOKS_TOKEN", "")
    if token and len(token) < MIN_TOKEN_LENGTH:
        problems.append(
            Warning(
                f"VPSELECT_CDS_HOOKS_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters.",
                hint=(
                    "It is for development only (production refuses it; EHRs sign JWTs, "
                    "VPSELECT_CDS_CLIENTS). Use a long random value, e.g. `openssl rand -hex 32`."
                ),
                id="interop.W001",
            )
        )
    public_url = getattr(settings, "VPSELECT_PUBLIC_URL", "")
    if public_url and not public_url.startswith(("https://", "http://")):
        problems.append(
            Error(
                "VPSELECT_PUBLIC_URL must start with https:// (or http:// for local use).",
                id="interop.E001",
            )
        )
    return problems


@register()
def check_cds_clients_file(app_configs=None, **kwargs) -> list:
    """The VPSELECT_CDS_CLIENTS file, when set, must be readable and describe trusted clients."""
    from .cds_clients import ClientRegistryError, trusted_clients

    try:
        trusted_clients()
    except ClientRegistryError as error:
        return [
            Error(
                f"VPSELECT_CDS_CLIENTS: {error}",
                hint="See docs/api.md, 'Registering an EHR'.",
                id="interop.E002",
            )
        ]
    return []
