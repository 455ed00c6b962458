"""The client's address, one rule for django-axes and the audit trail.

Behind N trusted reverse proxies (VPSELECT_TRUSTED_PROXY_COUNT), each proxy appends the address
it received the request from to X-Forwarded-For, so the client is the N-th entry from the
right; anything further left was written by the client and is not trusted. With no proxy
(the default) the header is ignored: anyone can send it.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the client as the outermost trusted proxy saw it (else REMOTE_ADDR)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = getattr(settings, "VPSELECT_TRUSTED_PROXY_COUNT", 0)
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
    if len(forwarded) < hops:
        return remote  # the proxies did not all add themselves: do not guess
    return _address(forwarded[-hops]) or remote
