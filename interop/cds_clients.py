"""The CDS clients (EHRs) this service trusts, from the JSON file VPSELECT_CDS_CLIENTS names,
and their signing keys: an inline JWK Set, or one fetched from a URL listed in that file.

    {"clients": [{"iss": "https://ehr.example.org", "jwks": {"keys": [...]},
                  "fhir_servers": ["https://ehr.example.org/fhir"]},
                 {"iss": "https://sandbox.cds-hooks.org",
                  "jwks_url": "https://sandbox.cds-hooks.org/.well-known/jwks.json"}]}
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from jwt import PyJWK
from jwt.exceptions import PyJWTError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .fetch import FetchError, get_json

JWKS_TIMEOUT_SECONDS = 3.0
JWKS_MAX_BYTES = 256 * 1024
JWKS_CACHE_SECONDS = 60 * 60
# A kid we do not know may be a rotated key: fetch the set again, but not more often than this.
JWKS_REFRESH_SECONDS = 60


class ClientRegistryError(Exception):
    """The VPSELECT_CDS_CLIENTS file is missing or does not describe trusted clients."""


class KeysUnavailable(Exception):
    """A client's JWK Set could not be fetched."""


class _ClientEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iss: str = Field(min_length=1, max_length=500)
    jwks: dict | None = None
    jwks_url: str | list[str] | None = None
    # Base URLs of the FHIR servers this client may ask us to fetch prefetch data from.
    fhir_servers: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _keys_given(self) -> "_ClientEntry":
        if self.jwks is None and not self.jwks_url:
            raise ValueError("give the client's keys as 'jwks' (a JWK Set) or 'jwks_url'")
        if self.jwks is not None and not isinstance(self.jwks.get("keys"), list):
            raise ValueError("'jwks' must be a JWK Set: {\"keys\": [...]}")
        for url in [*self.urls, *self.fhir_servers]:
            if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
                raise ValueError(f"not an http(s) URL: {url[:80]}")
        return self

    @property
    def urls(self) -> list[str]:
        if isinstance(self.jwks_url, str):
            return [self.jwks_url]
        return list(self.jwks_url or [])


class _ClientsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clients: list[_ClientEntry]


@dataclass(frozen=True)
class TrustedClient:
    iss: str
    jwks: tuple[dict, ...]
    jwks_urls: tuple[str, ...]
    fhir_servers: tuple[str, ...]

    def allows_fhir_server(self, url: str) -> bool:
        return url.rstrip("/") in {server.rstrip("/") for server in self.fhir_servers}


def parse_clients(text: str) -> dict[str, TrustedClient]:
    """The trusted clients by issuer, or ClientRegistryError saying what is wrong."""
    try:
        parsed = _ClientsFile.model_validate_json(text)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ClientRegistryError(f"{where}: {first['msg']}") from None
    clients: dict[str, TrustedClient] = {}
    for entry in parsed.clients:
        if entry.iss in clients:
            raise ClientRegistryError(f"the issuer {entry.iss} is listed twice")
        clients[entry.iss] = TrustedClient(
            iss=entry.iss,
            jwks=tuple(entry.jwks["keys"]) if entry.jwks else (),
            jwks_urls=tuple(entry.urls),
            fhir_servers=tuple(entry.fhir_servers),
        )
    return clients


_loaded: dict[tuple[str, float], dict[str, TrustedClient]] = {}


def trusted_clients() -> dict[str, TrustedClient]:
    """The clients of the VPSELECT_CDS_CLIENTS file (re-read when the file changes); none unset."""
    path = getattr(settings, "VPSELECT_CDS_CLIENTS", "")
    if not path:
        return {}
    try:
        stamp = Path(path).stat().st_mtime
        key = (str(path), stamp)
        if key not in _loaded:
            _loaded.clear()
            _loaded[key] = parse_clients(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ClientRegistryError(f"cannot read {path}: {error.strerror}") from None
    return _loaded[key]


def _cache_key(url: str) -> str:
    return "cds-jwks:" + hashlib.sha256(url.encode()).hexdigest()


def _fetched_keys(url: str, *, refresh: bool) -> list[dict]:
    key = _cache_key(url)
    keys = None if refresh else cache.get(key)
    if keys is None:
        try:
            document = get_json(url, timeout=JWKS_TIMEOUT_SECONDS, max_bytes=JWKS_MAX_BYTES)
        except FetchError as error:
            raise KeysUnavailable(str(error)) from None
        found = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(found, list):
            raise KeysUnavailable("not a JWK Set")
        keys = [item for item in found if isinstance(item, dict)]
        cache.set(key, keys, JWKS_CACHE_SECONDS)
    return keys


def _matching(jwk_dicts: list[dict], *, kid: str, alg: str) -> PyJWK | None:
    for jwk in jwk_dicts:
        if jwk.get("kid") != kid or jwk.get("use", "sig") != "sig":
            continue
        if jwk.get("alg", alg) != alg:
            continue
        try:
            return PyJWK(jwk, algorithm=alg)  # refuses a key whose type does not fit alg
        except PyJWTError:
            continue
    return None


def signing_key(client: TrustedClient, *, kid: str, alg: str, jku: str | None) -> PyJWK | None:
    """The client's key with this kid, usable for alg; None when it has none.

    Keys are fetched only from the client's own jwks_url entries: the token's `jku` picks one
    of them, and is ignored when it is not one of them.
    """
    if found := _matching(list(client.jwks), kid=kid, alg=alg):
        return found
    urls = [jku] if jku in client.jwks_urls else list(client.jwks_urls)
    for url in urls:
        if found := _matching(_fetched_keys(url, refresh=False), kid=kid, alg=alg):
            return found
    for url in urls:
        if cache.add(_cache_key(url) + ":refreshed", 1, JWKS_REFRESH_SECONDS):
            if found := _matching(_fetched_keys(url, refresh=True), kid=kid, alg=alg):
                return found
    return None
