import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .support import EXAMPLES, example_case

SHARED_SCHEMA = EXAMPLES.parent / "case.schema.json"
BASE = "urn:vpselect:openapi"


def _document(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("interop:api-schema"))
    assert response.status_code == 200
    return response.json()


def _validator(document: dict, component: str) -> Draft202012Validator:
    registry = Registry().with_resource(
        BASE, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{BASE}#/components/schemas/{component}"}, registry=registry
    )


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.mark.django_db
def test_schema_needs_login_and_answers_401_json(client):
    response = client.get(reverse("interop:api-schema"))
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Authentication required."


@pytest.mark.django_db
def test_schema_describes_the_json_api_in_openapi_3_1(client, physician):
    document = _document(client, physician)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/evaluate",
        "/api/referrals/{id}/fhir",
        "/api/schema",
        "/cds-services",
        "/cds-services/vertebroplasty-eligibility",
        "/cds-services/vertebroplasty-eligibility/feedback",
        "/cds/launch/{launch_id}",
    }
    for path in document["paths"]:
        concrete = path.replace("{id}", "1").replace(
            "{launch_id}", "00000000-0000-0000-0000-000000000001"
        )
        try:
            resolve(concrete)
        except Resolver404:  # pragma: no cover - the assertion names the path
            pytest.fail(f"{path} is described but not served")
    for operation in (op for item in document["paths"].values() for op in item.values()):
        assert operation["responses"] and operation["operationId"]


@pytest.mark.django_db
def test_every_reference_resolves_inside_the_document(client, physician):
    document = _document(client, physician)
    schemas = document["components"]["schemas"]
    refs = set(_refs(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)  # raises SchemaError when invalid


@pytest.mark.django_db
def test_evaluate_body_is_the_case_schema_and_accepts_every_clinical_example(client, physician):
    document = _document(client, physician)
    body = document["paths"]["/api/evaluate"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Case"}
    validator = _validator(document, "Case")
    for example in sorted(EXAMPLES.glob("*.json")):
        assert not list(validator.iter_errors(example_case(example.stem))), example.name
    broken = example_case("01-eligible-osteoporotic-L2")
    broken["levels"][0]["pain_nrs"] = 11
    assert list(validator.iter_errors(broken))


def test_repository_case_schema_is_the_clinical_contract():
    copy = Path(settings.BASE_DIR) / "eligibility" / "case.schema.json"
    assert json.loads(copy.read_text()) == json.loads(SHARED_SCHEMA.read_text())


@pytest.mark.django_db
def test_sample_hook_requests_and_their_cards_match_the_described_schemas(
    client, physician, post_hook, hook_body
):
    document = _document(client, physician)
    requests, responses = _validator(document, "HookRequest"), _validator(document, "HookResponse")
    for name in ("order-sign-eligible.json", "order-select-review.json"):
        body = hook_body(name)
        assert not list(requests.iter_errors(body)), name
        assert not list(responses.iter_errors(post_hook(body).json())), name


def test_the_document_declares_dates_enums_and_every_status():
    from interop.openapi import openapi_document

    document = openapi_document()
    schemas, paths = document["components"]["schemas"], document["paths"]
    assert schemas["CaseDate"]["format"] == "date"
    assert schemas["HookRequest"]["properties"]["hook"] == {"enum": ["order-select", "order-sign"]}
    assert schemas["OrderSignContext"]["properties"]["draftOrders"]["properties"][
        "resourceType"
    ] == {"const": "Bundle"}
    service = paths["/cds-services/vertebroplasty-eligibility"]["post"]["responses"]
    assert {"200", "400", "401", "405", "413", "503"} <= set(service)
    feedback = paths["/cds-services/vertebroplasty-eligibility/feedback"]["post"]["responses"]
    assert {"200", "400", "401", "404", "405", "413", "503"} <= set(feedback)
    evaluate = paths["/api/evaluate"]["post"]["responses"]
    assert {"200", "400", "401", "403", "405", "413", "415"} <= set(evaluate)
    assert evaluate["403"]["content"]["application/json"]  # CSRF refusals are JSON too
    assert document["components"]["securitySchemes"]["cdsJwt"]["bearerFormat"] == "JWT"


@pytest.mark.parametrize(
    ("name", "valid"),
    [("2026-02-28", True), ("2026-02-30", False), ("0000-00-00", False), ("28/02/2026", False)],
)
def test_case_dates_are_checked_as_calendar_dates_by_the_document(name, valid):
    from jsonschema import FormatChecker

    from interop.openapi import openapi_document

    document = openapi_document()
    registry = Registry().with_resource(
        BASE, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    validator = Draft202012Validator(
        {"$ref": f"{BASE}#/components/schemas/CaseDate"},
        registry=registry,
        format_checker=FormatChecker(),
    )
    assert validator.is_valid(name) is valid
