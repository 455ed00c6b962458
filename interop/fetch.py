"""Bounded HTTP GETs to other systems (a client's JWK Set, an EHR's FHIR server).

No redirects (a redirect could lead to an address nobody allowed), a deadline for the whole
answer, and a size limit read no further than one byte past it.
"""

import json
import time
import urllib.error
import urllib.request

CHUNK_BYTES = 64 * 1024


class FetchError(Exception):
    """The address could not be read within the limits (the reason never holds the body)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError for the 3xx answer


_OPENER = urllib.request.build_opener(_NoRedirects)


def get_json(url: str, *, timeout: float, max_bytes: int, headers: dict | None = None) -> object:
    """GET url and parse its JSON answer; FetchError on any failure, a non-200, or a limit."""
    if not url.startswith(("https://", "http://")):
        raise FetchError("not an http(s) address")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, headers={"Accept": "application/json", **(headers or {})}
    )
    deadline = time.monotonic() + timeout
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise FetchError(f"HTTP {response.status}")
            body = b""
            while len(body) <= max_bytes:
                if time.monotonic() > deadline:
                    raise FetchError("timed out")
                chunk = response.read(min(CHUNK_BYTES, max_bytes + 1 - len(body)))
                if not chunk:
                    break
                body += chunk
    except urllib.error.HTTPError as error:
        raise FetchError(f"HTTP {error.code}") from None
    except (OSError, ValueError) as error:  # URLError, timeouts, refused connections, bad URLs
        raise FetchError(type(error).__name__) from None
    if len(body) > max_bytes:
        raise FetchError(f"larger than {max_bytes} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError("not JSON") from None
