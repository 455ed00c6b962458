"""The prefetch fallback: a trusted client that sends no prefetch but its FHIR server and an
access token gets cards from data read from that server, and only from a server it may name."""

import json
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from interop.cds import prefetch

from .sandbox_client import LocalServer, SandboxClient, entry

SERVICE = "interop:cds-service"
ACCESS_TOKEN = "ehr-access-token-for-the-test"


@pytest.fixture
def register(settings, tmp_path):
    def write(*entries: dict):
        path = tmp_path / "cds-clients.json"
        path.write_text(json.dumps({"clients": list(entries)}))
        settings.VPSELECT_CDS_CLIENTS = str(path)
        settings.VPSELECT_CDS_HOOKS_TOKEN = ""

    return write


def _routes(body: dict, fhir_base: str) -> dict[str, object]:
    """The EHR's answers to the declared prefetch queries: the fixture's prefetch data."""
    urls = prefetch.prefetch_query_urls(fhir_base, body["context"]["patientId"])
    routes = {}
    for key, url in urls.items():
        parts = urlsplit(url)
        routes[parts.path + ("?" + parts.query if parts.query else "")] = body["prefetch"][key]
    return routes


def _without_prefetch(body: dict, fhir_base: str) -> dict:
    request = {key: value for key, value in body.items() if key != "prefetch"}
    request["fhirServer"] = fhir_base
    request["fhirAuthorization"] = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read user/Condition.read",
        "subject": "vpselect",
    }
    return request


def _call(client, ehr: SandboxClient, request: dict):
    path = reverse(SERVICE)
    return client.post(
        path,
        data=json.dumps(request),
        content_type="application/json",
        headers=ehr.authorization(path),
    )


@pytest.mark.django_db
def test_missing_prefetch_is_read_from_the_clients_allowed_fhir_server(client, register, hook_body):
    body = hook_body("order-sign-eligible.json")
    ehr = SandboxClient(iss="https://ehr.example.org")
    with LocalServer({}) as fhir:
        base = fhir.url + "/fhir"
        fhir.routes.update(_routes(body, base))
        register(entry(ehr, fhir_servers=[base]))
        response = _call(client, ehr, _without_prefetch(body, base))
    assert response.status_code == 200, response.content
    assert response.json()["cards"][0]["indicator"] == "info"  # eligible, as with prefetch
    assert len(fhir.requests) == 3
    assert all(headers["Authorization"] == f"Bearer {ACCESS_TOKEN}" for _, headers in fhir.requests)
    event = AuditEvent.objects.get(path=reverse(SERVICE))
    assert sorted(event.details["prefetch_fetched"]) == ["conditions", "observations", "patient"]
    assert str(ACCESS_TOKEN) not in json.dumps(event.details)


@pytest.mark.django_db
def test_only_the_missing_prefetch_keys_are_fetched(client, register, hook_body):
    body = hook_body("order-sign-eligible.json")
    ehr = SandboxClient(iss="https://ehr.example.org")
    with LocalServer({}) as fhir:
        base = fhir.url + "/fhir"
        fhir.routes.update(_routes(body, base))
        register(entry(ehr, fhir_servers=[base]))
        request = _without_prefetch(body, base)
        request["prefetch"] = {"patient": body["prefetch"]["patient"], "conditions": None}
        assert _call(client, ehr, request).status_code == 200
    assert sorted(path.split("?")[0].rsplit("/", 1)[-1] for path in fhir.paths()) == [
        "Condition",
        "Observation",
    ]


@pytest.mark.django_db
def test_a_fhir_server_the_clients_entry_does_not_list_is_never_called(client, register, hook_body):
    body = hook_body("order-sign-eligible.json")
    ehr = SandboxClient(iss="https://ehr.example.org")
    with LocalServer({}) as fhir:
        base = fhir.url + "/fhir"
        fhir.routes.update(_routes(body, base))
        register(entry(ehr, fhir_servers=["https://ehr.example.org/fhir"]))
        response = _call(client, ehr, _without_prefetch(body, base))
    assert fhir.requests == []
    card = response.json()["cards"][0]
    assert card["indicator"] == "warning"  # no data: no verdict, the questions instead
    assert "questions to answer" in card["summary"]


@pytest.mark.django_db
def test_the_shared_development_secret_never_triggers_a_fetch(client, post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    with LocalServer({}) as fhir:
        base = fhir.url + "/fhir"
        fhir.routes.update(_routes(body, base))
        assert post_hook(_without_prefetch(body, base)).status_code == 200
    assert fhir.requests == []


@pytest.mark.django_db
def test_an_oversized_or_slow_fhir_answer_is_not_used(client, register, hook_body, monkeypatch):
    monkeypatch.setattr(prefetch, "FHIR_MAX_BYTES", 2000)
    monkeypatch.setattr(prefetch, "FHIR_TIMEOUT_SECONDS", 0.3)
    body = hook_body("order-sign-eligible.json")
    ehr = SandboxClient(iss="https://ehr.example.org")
    with LocalServer({}, delay=0.0) as fhir:
        base = fhir.url + "/fhir"
        fhir.routes.update(_routes(body, base))
        register(entry(ehr, fhir_servers=[base]))
        response = _call(client, ehr, _without_prefetch(body, base))
    assert response.status_code == 200
    event = AuditEvent.objects.get(path=reverse(SERVICE))
    # The Patient fits in 2000 bytes; the Observation bundle does not.
    assert "observations" not in event.details["prefetch_fetched"]
    assert response.json()["cards"][0]["indicator"] == "warning"


@pytest.mark.django_db
def test_a_slow_fhir_server_is_given_up_on(client, register, hook_body, monkeypatch):
    monkeypatch.setattr(prefetch, "FHIR_TIMEOUT_SECONDS", 0.3)
    body = hook_body("order-sign-eligible.json")
    ehr = SandboxClient(iss="https://ehr.example.org")
    with LocalServer({}, delay=1.0) as fhir:
        base = fhir.url + "/fhir"
        fhir.routes.update(_routes(body, base))
        register(entry(ehr, fhir_servers=[base]))
        response = _call(client, ehr, _without_prefetch(body, base))
    assert response.status_code == 200
    assert AuditEvent.objects.get(path=reverse(SERVICE)).details["prefetch_fetched"] == []


def test_a_patient_id_cannot_add_a_path_or_a_parameter():
    urls = prefetch.prefetch_query_urls("https://ehr.example.org/fhir/", "../x?y=1&z")
    assert urls["patient"] == "https://ehr.example.org/fhir/Patient/..%2Fx%3Fy%3D1%26z"
    assert urls["conditions"].startswith(
        "https://ehr.example.org/fhir/Condition?patient=..%2Fx%3Fy%3D1%26z"
    )
