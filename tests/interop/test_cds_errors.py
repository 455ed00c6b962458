"""CDS Hooks endpoints answer JSON for every error, and every refused call is audited."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent

SERVICE = "interop:cds-service"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ({"hook": "patient-view", "hookInstance": "x", "context": {}}, 400),
        (b"{" + b" " * (2 * 1024 * 1024) + b"}", 413),
    ],
)
def test_a_refused_cds_call_leaves_an_audit_row(post_hook, body, status):
    response = post_hook(body)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    event = AuditEvent.objects.get(path=reverse(SERVICE))
    assert event.status_code == status
    assert event.outcome == AuditEvent.Outcome.FAILED
    assert event.username == "cds-hooks-client"


@pytest.mark.django_db
def test_a_refused_feedback_call_leaves_an_audit_row(client, cds_token):
    path = reverse("interop:cds-feedback")
    response = client.post(
        path,
        data=json.dumps({"feedback": []}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {cds_token}"},
    )
    assert response.status_code == 400
    assert AuditEvent.objects.get(path=path).status_code == 400


def _with_lone_surrogate(body: dict, where: str) -> str:
    """The body as JSON text with the escape of an unpaired surrogate at `where`."""
    marker = "LONE-SURROGATE-HERE"
    if where == "key":
        body[marker] = 1
    elif where == "hookInstance":
        body["hookInstance"] = marker
    else:  # deep inside the prefetched Patient
        body["prefetch"]["patient"]["name"][0]["family"] = marker
    return json.dumps(body).replace(marker, "\\ud800")


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["key", "hookInstance", "patient name"])
def test_a_lone_surrogate_in_a_cds_request_is_refused_with_400(post_hook, hook_body, where):
    response = post_hook(_with_lone_surrogate(hook_body("order-sign-eligible.json"), where))
    assert response.status_code == 400, response.content
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/cds-services/unknown-service", "/cds-services/x/y/z"])
def test_unknown_cds_paths_answer_a_json_404_operation_outcome(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["issue"][0]["code"] == "not-found"


@pytest.mark.django_db
def test_a_wrong_method_on_the_service_answers_a_json_405(client, cds_token):
    response = client.get(reverse(SERVICE), headers={"Authorization": f"Bearer {cds_token}"})
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.django_db
def test_a_server_error_on_an_api_path_is_json(rf):
    from vpselect.errors import server_error

    response = server_error(rf.get("/cds-services/vertebroplasty-eligibility"))
    assert response.status_code == 500
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
    response = server_error(rf.get("/api/evaluate"))
    assert json.loads(response.content)["errors"][0]["message"] == "Internal error."


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["context extension", "prefetch"])
def test_nul_anywhere_in_a_cds_request_is_refused_with_400(post_hook, hook_body, where):
    body = hook_body("order-sign-eligible.json")
    if where == "prefetch":
        body["prefetch"]["patient"]["name"][0]["family"] = "Love\x00lace"
    else:
        body["context"]["com.example.extension"] = {"note": "a\x00b"}
    response = post_hook(body)
    assert response.status_code == 400
    assert "NUL" in response.json()["issue"][0]["details"]["text"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "entry",
    ["not an object", {"resource": "text"}, {"resource": None}, {"resource": {"id": "x"}}],
)
def test_a_draft_orders_entry_that_is_not_a_resource_is_refused_with_400(
    post_hook, hook_body, entry
):
    body = hook_body("order-sign-eligible.json")
    body["context"]["draftOrders"]["entry"].append(entry)
    response = post_hook(body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"][0].startswith("context.draftOrders.entry[")


@pytest.mark.django_db
def test_a_broken_form_body_on_the_api_is_a_json_400(physician):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(physician)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(
        "/api/evaluate",
        data=b"--x\r\nbroken",
        content_type="multipart/form-data",  # no boundary: the form cannot be parsed
        headers={"X-CSRFToken": "a" * 32},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Bad request."


def test_a_bad_request_on_an_api_path_is_json(rf):
    from vpselect.errors import bad_request

    response = bad_request(rf.get("/api/evaluate"))
    assert response.status_code == 400
    assert json.loads(response.content)["errors"][0]["message"] == "Bad request."
