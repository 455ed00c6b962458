import pytest
from django.urls import reverse

from interop.auth import CREDENTIALS_REQUIRED, CREDENTIALS_WRONG, NOT_CONFIGURED

ENDPOINTS = [
    ("get", "interop:cds-discovery"),
    ("post", "interop:cds-service"),
    ("post", "interop:cds-feedback"),
]


def _call(client, method, name, headers=None):
    if method == "get":
        return client.get(reverse(name), headers=headers or {})
    return client.post(
        reverse(name), data="{}", content_type="application/json", headers=headers or {}
    )


@pytest.mark.django_db
def test_discovery_lists_the_service_once_per_hook_in_the_spec_shape(client, cds_token):
    response = client.get(
        reverse("interop:cds-discovery"), headers={"Authorization": f"Bearer {cds_token}"}
    )
    assert response.status_code == 200
    services = response.json()["services"]
    assert [service["hook"] for service in services] == ["order-select", "order-sign"]
    for service in services:
        assert service["id"] == "vertebroplasty-eligibility"
        assert set(service) <= {
            "hook",
            "title",
            "description",
            "id",
            "prefetch",
            "usageRequirements",
        }
        assert service["description"] and service["title"]
        assert set(service["prefetch"]) == {"patient", "observations", "conditions"}
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert all(value is not None for value in service.values())


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name"), ENDPOINTS)
def test_cds_endpoints_refuse_requests_without_a_token(client, cds_token, method, name):
    response = _call(client, method, name)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["issue"][0]["details"]["text"] == CREDENTIALS_REQUIRED


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name"), ENDPOINTS)
def test_cds_endpoints_refuse_a_wrong_token(client, cds_token, method, name):
    for header in (f"Bearer {cds_token}x", "Bearer wrong", f"Basic {cds_token}", "Bearer "):
        response = _call(client, method, name, {"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["issue"][0]["details"]["text"] in (
            CREDENTIALS_WRONG,
            CREDENTIALS_REQUIRED,
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name"), ENDPOINTS)
def test_cds_endpoints_answer_503_when_no_token_is_configured(client, settings, method, name):
    settings.VPSELECT_CDS_HOOKS_TOKEN = ""
    response = _call(client, method, name, {"Authorization": "Bearer anything"})
    assert response.status_code == 503
    assert response.json()["issue"][0]["details"]["text"] == NOT_CONFIGURED


@pytest.mark.django_db
def test_a_logged_in_session_is_not_a_cds_client(client, physician, cds_token):
    client.force_login(physician)
    assert client.get(reverse("interop:cds-discovery")).status_code == 401


@pytest.mark.django_db
def test_wrong_method_answers_405_with_allow(client, cds_token):
    headers = {"Authorization": f"Bearer {cds_token}"}
    response = client.get(reverse("interop:cds-service"), headers=headers)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    response = client.post(reverse("interop:cds-discovery"), headers=headers)
    assert response.status_code == 405
    assert response["Allow"] == "GET"


@pytest.mark.django_db
def test_cds_service_needs_no_csrf_token(cds_token, hook_body):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("interop:cds-service"),
        data=hook_body("order-sign-eligible.json"),
        content_type="application/json",
        headers={"Authorization": f"Bearer {cds_token}"},
    )
    assert response.status_code == 200
