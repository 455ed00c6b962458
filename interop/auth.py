"""Authenticating CDS Hooks clients: a JWT signed by a trusted client, as CDS Hooks 2.0 asks.

https://cds-hooks.hl7.org/2.0/#trusting-cds-clients. Checks, in order: the token is a JWT
signed with an asymmetric algorithm; its `iss` is a trusted client (VPSELECT_CDS_CLIENTS);
its `kid` names one of that client's keys; the signature; `aud` is the URL called; `exp`,
`iat` (with CLOCK_SKEW_SECONDS) and a lifetime of at most MAX_LIFETIME_SECONDS; `jti` not
seen before. The shared secret VPSELECT_CDS_HOOKS_TOKEN is a development convenience only
(production settings refuse to start with it).
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from jwt import exceptions as jwt_errors

from .cds_clients import (
    ClientRegistryError,
    KeysUnavailable,
    TrustedClient,
    signing_key,
    trusted_clients,
)

# Asymmetric only: HMAC would let anyone holding the client's public key forge tokens.
ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512")
CLOCK_SKEW_SECONDS = 30
# The spec: exp no more than 5 minutes in the future. It also bounds the replay cache.
MAX_LIFETIME_SECONDS = 5 * 60
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
# The cache that remembers jti values; shared by all workers (Redis when REDIS_URL is set).
JTI_CACHE = "cds-hooks"
# The client name the shared development secret authenticates as.
SHARED_SECRET_CLIENT = "shared-secret (development)"  # noqa: S105 - a name, not a secret

CREDENTIALS_REQUIRED = "Send a JWT signed by your key as 'Authorization: Bearer <token>'."
CREDENTIALS_WRONG = "The bearer token is not valid."
NOT_A_JWT = "The bearer token is not a JWT."
ALGORITHM_REFUSED = (
    "The token's algorithm is not accepted; sign with ES256/384/512 or RS256/384/512."
)
ISSUER_UNKNOWN = "The token's issuer (iss) is not a trusted CDS client."
KID_REQUIRED = "The token's header has no kid."
KEY_UNKNOWN = "None of the issuer's keys has the token's kid and algorithm."
SIGNATURE_INVALID = "The token's signature is not valid."
EXPIRED = "The token has expired (exp)."
NOT_YET_VALID = "The token was issued in the future (iat)."
AUDIENCE_WRONG = "The token's audience (aud) is not the URL called."
CLAIMS_REQUIRED = "The token must carry iss, aud, exp, iat and jti."
LIFETIME_TOO_LONG = f"The token's exp is more than {MAX_LIFETIME_SECONDS} seconds away."
TOKEN_INVALID = "The token is not valid."  # noqa: S105 - a message
REPLAYED = "This token (jti) was already used."
NOT_CONFIGURED = "The CDS Hooks service is not configured (VPSELECT_CDS_CLIENTS is unset)."
REGISTRY_BROKEN = "The CDS Hooks service is misconfigured (the trusted clients file)."
KEYS_UNAVAILABLE = "The issuer's keys could not be fetched; try again later."
REPLAY_CHECK_UNAVAILABLE = "The token cannot be checked for replay now; try again later."


@dataclass(frozen=True)
class CdsClient:
    """Who called: a trusted client's issuer (and its entry), or the development secret."""

    name: str
    trusted: TrustedClient | None = None


class ClientNotAuthenticated(Exception):
    """The call is refused: 401 (bad credentials) or 503 (the check cannot be made now)."""

    def __init__(self, message: str, status: int = 401, *, client: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.client = client


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClientNotAuthenticated(CREDENTIALS_REQUIRED)
    return token.strip()


def _shared_secret_matches(token: str) -> bool:
    secret = getattr(settings, "VPSELECT_CDS_HOOKS_TOKEN", "")
    return bool(secret) and hmac.compare_digest(token.encode(), secret.encode())


def authenticate_cds_client(request: HttpRequest, *, audience: str) -> CdsClient:
    """The client whose token is valid for a call to `audience`; else ClientNotAuthenticated.

    A request without credentials gets 401 even when nothing is configured: only a client
    that tries to authenticate learns that the service is not set up (503).
    """
    token = _bearer_token(request)
    try:
        clients = trusted_clients()
    except ClientRegistryError:
        raise ClientNotAuthenticated(REGISTRY_BROKEN, 503) from None
    if _shared_secret_matches(token):
        return CdsClient(name=SHARED_SECRET_CLIENT)
    if not clients:
        if getattr(settings, "VPSELECT_CDS_HOOKS_TOKEN", ""):
            raise ClientNotAuthenticated(CREDENTIALS_WRONG)
        raise ClientNotAuthenticated(NOT_CONFIGURED, 503)
    return _verified_client(token, clients, audience=audience)


def _verified_client(token: str, clients: dict[str, TrustedClient], *, audience: str) -> CdsClient:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt_errors.PyJWTError:
        raise ClientNotAuthenticated(NOT_A_JWT) from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise ClientNotAuthenticated(ALGORITHM_REFUSED)
    issuer = unverified.get("iss")
    client = clients.get(issuer) if isinstance(issuer, str) else None
    if client is None:
        raise ClientNotAuthenticated(ISSUER_UNKNOWN)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ClientNotAuthenticated(KID_REQUIRED, client=client.iss)
    jku = header.get("jku") if isinstance(header.get("jku"), str) else None
    try:
        key = signing_key(client, kid=kid, alg=alg, jku=jku)
    except KeysUnavailable:
        raise ClientNotAuthenticated(KEYS_UNAVAILABLE, 503, client=client.iss) from None
    if key is None:
        raise ClientNotAuthenticated(KEY_UNKNOWN, client=client.iss)
    claims = _checked_claims(token, key, alg=alg, issuer=client.iss, audience=audience)
    _remember_jti(client.iss, claims)
    return CdsClient(name=client.iss, trusted=client)


_CLAIM_ERRORS = (
    (jwt_errors.ExpiredSignatureError, EXPIRED),
    (jwt_errors.ImmatureSignatureError, NOT_YET_VALID),
    (jwt_errors.InvalidAudienceError, AUDIENCE_WRONG),
    (jwt_errors.MissingRequiredClaimError, CLAIMS_REQUIRED),
    (jwt_errors.InvalidSignatureError, SIGNATURE_INVALID),
    (jwt_errors.InvalidAlgorithmError, ALGORITHM_REFUSED),
)


def _checked_claims(token: str, key, *, alg: str, issuer: str, audience: str) -> dict:
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=audience,
            issuer=issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt_errors.PyJWTError as error:
        message = next((text for kind, text in _CLAIM_ERRORS if isinstance(error, kind)), None)
        raise ClientNotAuthenticated(message or TOKEN_INVALID, client=issuer) from None
    if claims["exp"] > time.time() + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise ClientNotAuthenticated(LIFETIME_TOO_LONG, client=issuer)
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise ClientNotAuthenticated(CLAIMS_REQUIRED, client=issuer)
    return claims


def _remember_jti(issuer: str, claims: dict) -> None:
    """Refuse a jti seen before; remember this one until its token has expired."""
    digest = hashlib.sha256(f"{issuer}\n{claims['jti']}".encode()).hexdigest()
    until_expiry = int(claims["exp"] - time.time()) + CLOCK_SKEW_SECONDS + 1
    try:
        first_use = caches[JTI_CACHE].add(f"cds-jti:{digest}", 1, max(until_expiry, 1))
    except Exception:  # the shared cache is down: a replay cannot be ruled out, so refuse
        raise ClientNotAuthenticated(REPLAY_CHECK_UNAVAILABLE, 503, client=issuer) from None
    if not first_use:
        raise ClientNotAuthenticated(REPLAYED, client=issuer)
