"""Authenticating CDS Hooks clients by the shared bearer token (VPSELECT_CDS_HOOKS_TOKEN)."""

import hmac

from django.conf import settings
from django.http import HttpRequest

CREDENTIALS_REQUIRED = "Send the shared token as 'Authorization: Bearer <token>'."
CREDENTIALS_WRONG = "The bearer token is not valid."
NOT_CONFIGURED = "The CDS Hooks service is not configured (VPSELECT_CDS_HOOKS_TOKEN is unset)."


class ClientNotAuthenticated(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def authenticate_cds_client(request: HttpRequest) -> None:
    """Return when the request carries the configured token; else raise with 401 or 503.

    A request without credentials gets 401 even when no token is configured: only a client
    that tries to authenticate learns that the service is not set up (503).
    """
    header = request.headers.get("Authorization", "")
    if not header:
        raise ClientNotAuthenticated(CREDENTIALS_REQUIRED, 401)
    configured = getattr(settings, "VPSELECT_CDS_HOOKS_TOKEN", "")
    if not configured:
        raise ClientNotAuthenticated(NOT_CONFIGURED, 503)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClientNotAuthenticated(CREDENTIALS_REQUIRED, 401)
    if not hmac.compare_digest(token.strip().encode(), configured.encode()):
        raise ClientNotAuthenticated(CREDENTIALS_WRONG, 401)
