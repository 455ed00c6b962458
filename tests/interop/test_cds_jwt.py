"""CDS Hooks client authentication by signed JWT (CDS Hooks 2.0 'Trusting CDS Clients'),
with a client that signs as the CDS Hooks Sandbox does."""

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.urls import reverse

from audit.models import AuditEvent
from interop import auth

from .sandbox_client import SERVER, LocalServer, SandboxClient, entry

SERVICE = "interop:cds-service"


@pytest.fixture
def register(settings, tmp_path):
    """Write the VPSELECT_CDS_CLIENTS file with these entries (and no shared secret)."""

    def write(*entries: dict):
        path = tmp_path / "cds-clients.json"
        path.write_text(json.dumps({"clients": list(entries)}))
        settings.VPSELECT_CDS_CLIENTS = str(path)
        settings.VPSELECT_CDS_HOOKS_TOKEN = ""
        return path

    return write


@pytest.fixture
def sandbox(register) -> SandboxClient:
    client = SandboxClient()
    register(entry(client))
    return client


def _post(client, path: str, body, headers: dict):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _hs256_with_public_key(sandbox: SandboxClient, aud: str) -> str:
    """The classic confusion attack: HMAC keyed with the client's *public* key (PEM)."""
    import hashlib
    import hmac

    pem = sandbox.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": sandbox.kid}
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(sandbox.claims(aud)).encode())}"
    )
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.mark.django_db
def test_a_call_signed_as_the_sandbox_signs_gets_cards(client, sandbox, hook_body):
    path = reverse(SERVICE)
    response = _post(
        client, path, hook_body("order-sign-eligible.json"), sandbox.authorization(path)
    )
    assert response.status_code == 200, response.content
    cards = response.json()["cards"]
    assert len(cards) == 1 and cards[0]["indicator"] == "info"
    event = AuditEvent.objects.get(path=path)
    assert event.status_code == 200
    assert event.details["client"] == sandbox.iss


@pytest.mark.django_db
def test_discovery_and_feedback_take_a_token_whose_aud_is_their_own_url(client, sandbox, hook_body):
    discovery = reverse("interop:cds-discovery")
    response = client.get(discovery, headers=sandbox.authorization(discovery))
    assert response.status_code == 200
    assert response.json()["services"]
    service = reverse(SERVICE)
    card = _post(
        client, service, hook_body("order-sign-eligible.json"), sandbox.authorization(service)
    ).json()["cards"][0]
    feedback = reverse("interop:cds-feedback")
    item = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-24T10:05:31Z"}
    response = _post(client, feedback, {"feedback": [item]}, sandbox.authorization(feedback))
    assert response.status_code == 200, response.content
    assert response.json() == {"recorded": 1}
    event = AuditEvent.objects.get(path=feedback)
    assert (event.status_code, event.details["client"]) == (200, sandbox.iss)
    assert len(event.details["cds_feedback"]) == 1


@pytest.mark.django_db
def test_an_rs384_client_is_accepted_too(client, register, hook_body):
    ehr = SandboxClient(iss="https://ehr.example.org", alg="RS384", jku="")
    register(entry(ehr))
    path = reverse(SERVICE)
    response = _post(client, path, hook_body("order-sign-eligible.json"), ehr.authorization(path))
    assert response.status_code == 200, response.content


def _refusals(sandbox: SandboxClient, path: str) -> dict[str, tuple[dict, str]]:
    url = SERVER + path
    stranger = SandboxClient(iss="https://unknown-ehr.example.org")
    impostor = SandboxClient()
    impostor.kid = sandbox.kid  # same kid, another key
    now = int(time.time())
    return {
        "no token": ({}, auth.CREDENTIALS_REQUIRED),
        "not a bearer token": ({"Authorization": "Basic abc"}, auth.CREDENTIALS_REQUIRED),
        "not a jwt": ({"Authorization": "Bearer not-a-jwt"}, auth.NOT_A_JWT),
        "unknown issuer": (stranger.authorization(path), auth.ISSUER_UNKNOWN),
        "wrong key": (impostor.authorization(path), auth.SIGNATURE_INVALID),
        "unknown kid": (
            sandbox.authorization(path, headers={"kid": "another-kid"}),
            auth.KEY_UNKNOWN,
        ),
        "no kid": (
            {"Authorization": "Bearer " + _without_kid(sandbox, url)},
            auth.KID_REQUIRED,
        ),
        "expired": (sandbox.authorization(path, iat=now - 400, exp=now - 100), auth.EXPIRED),
        "issued in the future": (sandbox.authorization(path, iat=now + 120), auth.NOT_YET_VALID),
        "lifetime too long": (sandbox.authorization(path, exp=now + 3600), auth.LIFETIME_TOO_LONG),
        "wrong aud": (
            sandbox.authorization(path, aud=SERVER + reverse("interop:cds-discovery")),
            auth.AUDIENCE_WRONG,
        ),
        "no jti": (sandbox.authorization(path, jti=None), auth.CLAIMS_REQUIRED),
        "no exp": (sandbox.authorization(path, exp=None), auth.CLAIMS_REQUIRED),
        "alg none": (
            {"Authorization": "Bearer " + _unsigned(sandbox.claims(url))},
            auth.ALGORITHM_REFUSED,
        ),
        "HS256 with the public key": (
            {"Authorization": "Bearer " + _hs256_with_public_key(sandbox, url)},
            auth.ALGORITHM_REFUSED,
        ),
    }


def _without_kid(sandbox: SandboxClient, aud: str) -> str:
    return jwt.encode(sandbox.claims(aud), sandbox.private_key, algorithm="ES384")


REFUSALS = [
    "no token",
    "not a bearer token",
    "not a jwt",
    "unknown issuer",
    "wrong key",
    "unknown kid",
    "no kid",
    "expired",
    "issued in the future",
    "lifetime too long",
    "wrong aud",
    "no jti",
    "no exp",
    "alg none",
    "HS256 with the public key",
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_token_is_refused_with_401_an_operation_outcome_and_an_audit_row(
    client, sandbox, hook_body, case
):
    path = reverse(SERVICE)
    headers, message = _refusals(sandbox, path)[case]
    response = _post(client, path, hook_body("order-sign-eligible.json"), headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    issue = response.json()["issue"][0]
    assert response.json()["resourceType"] == "OperationOutcome"
    assert issue["code"] == "login" and issue["details"]["text"] == message
    events = AuditEvent.objects.filter(path=path)
    assert [(e.status_code, e.outcome, e.details["refusal"]) for e in events] == [
        (401, AuditEvent.Outcome.DENIED, message)
    ]
    assert not response.json().get("cards")


@pytest.mark.django_db
def test_a_replayed_jti_is_refused(client, sandbox, hook_body):
    path = reverse(SERVICE)
    headers = sandbox.authorization(path)
    body = hook_body("order-sign-eligible.json")
    assert _post(client, path, body, headers).status_code == 200
    replay = _post(client, path, body, headers)
    assert replay.status_code == 401
    assert replay.json()["issue"][0]["details"]["text"] == auth.REPLAYED


@pytest.mark.django_db
def test_the_same_jti_from_another_client_is_not_a_replay(client, register, hook_body):
    first, second = (
        SandboxClient(iss="https://a.example.org"),
        SandboxClient(iss="https://b.example.org"),
    )
    register(entry(first), entry(second))
    path = reverse(SERVICE)
    body = hook_body("order-sign-eligible.json")
    jti = str(uuid.uuid4())  # the replay cache is Redis: a fixed value would outlive the run
    assert _post(client, path, body, first.authorization(path, jti=jti)).status_code == 200
    assert _post(client, path, body, second.authorization(path, jti=jti)).status_code == 200


@pytest.mark.django_db
def test_keys_are_fetched_from_the_registered_jwks_url_once_and_cached(client, register, hook_body):
    ehr = SandboxClient(iss="https://ehr.example.org")
    with LocalServer({"/jwks.json": ehr.jwks}) as keys:
        ehr.jku = keys.url + "/jwks.json"
        register({"iss": ehr.iss, "jwks_url": ehr.jku})
        path = reverse(SERVICE)
        body = hook_body("order-sign-eligible.json")
        for _ in range(3):
            assert _post(client, path, body, ehr.authorization(path)).status_code == 200
    assert keys.paths() == ["/jwks.json"]


@pytest.mark.django_db
def test_a_jku_not_in_the_clients_file_is_never_fetched(client, register, hook_body):
    ehr = SandboxClient(iss="https://ehr.example.org")
    attacker = SandboxClient(iss=ehr.iss)
    with (
        LocalServer({"/jwks.json": ehr.jwks}) as keys,
        LocalServer({"/evil.json": attacker.jwks}) as evil,
    ):
        register({"iss": ehr.iss, "jwks_url": keys.url + "/jwks.json"})
        attacker.jku = evil.url + "/evil.json"
        path = reverse(SERVICE)
        response = _post(
            client, path, hook_body("order-sign-eligible.json"), attacker.authorization(path)
        )
    assert response.status_code == 401
    assert response.json()["issue"][0]["details"]["text"] == auth.KEY_UNKNOWN
    assert evil.requests == []


@pytest.mark.django_db
def test_a_rotated_key_is_found_by_fetching_the_jwks_url_again(client, register, hook_body):
    old, new = (
        SandboxClient(iss="https://ehr.example.org"),
        SandboxClient(iss="https://ehr.example.org"),
    )
    routes = {"/jwks.json": old.jwks}
    with LocalServer(routes) as keys:
        register({"iss": old.iss, "jwks_url": keys.url + "/jwks.json"})
        path = reverse(SERVICE)
        body = hook_body("order-sign-eligible.json")
        assert _post(client, path, body, old.authorization(path)).status_code == 200
        routes["/jwks.json"] = {"keys": [old.public_jwk, new.public_jwk]}
        assert _post(client, path, body, new.authorization(path)).status_code == 200
    assert keys.paths() == ["/jwks.json", "/jwks.json"]


@pytest.mark.django_db
def test_an_unreachable_jwks_url_answers_503_and_is_audited(client, register, hook_body):
    ehr = SandboxClient(iss="https://ehr.example.org")
    with LocalServer({}) as keys:
        register({"iss": ehr.iss, "jwks_url": keys.url + "/missing.json"})
        path = reverse(SERVICE)
        response = _post(
            client, path, hook_body("order-sign-eligible.json"), ehr.authorization(path)
        )
    assert response.status_code == 503
    assert response.json()["issue"][0]["details"]["text"] == auth.KEYS_UNAVAILABLE
    assert AuditEvent.objects.get(path=path).status_code == 503


@pytest.mark.django_db
def test_without_a_clients_file_or_secret_a_token_gets_503_not_configured(client, settings):
    settings.VPSELECT_CDS_CLIENTS = ""
    settings.VPSELECT_CDS_HOOKS_TOKEN = ""
    path = reverse("interop:cds-discovery")
    response = client.get(path, headers=SandboxClient().authorization(path))
    assert response.status_code == 503
    assert response.json()["issue"][0]["details"]["text"] == auth.NOT_CONFIGURED


@pytest.mark.django_db
def test_a_broken_clients_file_answers_503_not_500(client, settings, tmp_path):
    path = tmp_path / "clients.json"
    path.write_text('{"clients": [{"iss": "https://ehr.example.org"}]}')  # no keys
    settings.VPSELECT_CDS_CLIENTS = str(path)
    url = reverse("interop:cds-discovery")
    response = client.get(url, headers=SandboxClient().authorization(url))
    assert response.status_code == 503
    assert response.json()["issue"][0]["details"]["text"] == auth.REGISTRY_BROKEN


@pytest.mark.django_db
def test_public_url_setting_is_the_audience_tokens_must_name(client, sandbox, settings):
    settings.VPSELECT_PUBLIC_URL = "https://vpselect.example.org"
    path = reverse("interop:cds-discovery")
    assert client.get(path, headers=sandbox.authorization(path)).status_code == 401
    token = sandbox.token("https://vpselect.example.org" + path)
    assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
