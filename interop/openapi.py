"""The OpenAPI 3.1 description of VPSelect's JSON API, built once from code and the schemas.

The case schema is eligibility/case.schema.json (a copy of the clinical contract); its
`$defs` are lifted into `components/schemas` so every `$ref` resolves inside this document.
The CDS Hooks messages come from the pydantic models that check them.
"""

import copy
import functools
import json
from pathlib import Path

from django.conf import settings

from . import cds_models
from .cds import HOOKS, PREFETCH, SERVICE_ID
from .fhir_export import FHIR_JSON

CASE_SCHEMA_PATH = Path(settings.BASE_DIR) / "eligibility" / "case.schema.json"
_REF = "#/components/schemas/"


def _rewrite_refs(node, mapping: dict[str, str]):
    if isinstance(node, dict):
        return {
            key: (mapping.get(value, value) if key == "$ref" else _rewrite_refs(value, mapping))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, mapping) for item in node]
    return node


def case_schemas() -> dict[str, dict]:
    """The case schema as OpenAPI components: Case plus its lifted definitions."""
    schema = json.loads(CASE_SCHEMA_PATH.read_text(encoding="utf-8"))
    definitions = schema.pop("$defs", {})
    schema.pop("$schema", None)
    schema.pop("$id", None)
    names = {name: f"Case{name[:1].upper()}{name[1:]}" for name in definitions}
    mapping = {f"#/$defs/{name}": f"{_REF}{component}" for name, component in names.items()}
    components = {"Case": _rewrite_refs(schema, mapping)}
    for name, definition in definitions.items():
        components[names[name]] = _rewrite_refs(definition, mapping)
    # The contract's pattern admits 2026-02-30; the service refuses it: say it is a date.
    components["CaseDate"] = {**components["CaseDate"], "format": "date"}
    return components


_NO_NUL = "^[^\\u0000]*$"
_BUNDLE_OF_DRAFT_ORDERS = {
    "type": "object",
    "description": "A FHIR Bundle of the draft orders (ServiceRequest resources are read).",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"const": "Bundle"},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "resource": {
                        "type": "object",
                        "required": ["resourceType"],
                        "properties": {"resourceType": {"type": "string"}},
                    }
                },
            },
        },
    },
}


def _refuse_nul(node):
    """Strings the service reads may not hold NUL (PostgreSQL cannot store it): say so."""
    if isinstance(node, dict):
        node = {key: _refuse_nul(value) for key, value in node.items()}
        if node.get("type") == "string" and "pattern" not in node and "format" not in node:
            node["pattern"] = _NO_NUL
        return node
    if isinstance(node, list):
        return [_refuse_nul(item) for item in node]
    return node


def _hook_request_schemas(components: dict[str, dict]) -> dict[str, dict]:
    """One request schema per hook, so `hook` is an enum and `context` fits the hook."""
    base = components.pop("HookRequest")
    variants = {}
    for hook in HOOKS:
        context = "OrderSelectContext" if hook == "order-select" else "OrderSignContext"
        name = "OrderSelectRequest" if hook == "order-select" else "OrderSignRequest"
        variant = copy.deepcopy(base)
        variant["title"] = name
        variant["properties"]["hook"] = {"const": hook}
        variant["properties"]["context"] = {"$ref": _REF + context}
        variants[name] = variant
    for context, model in (
        ("OrderSelectContext", cds_models.OrderSelectContext),
        ("OrderSignContext", cds_models.OrderSignContext),
    ):
        schema = model.model_json_schema(ref_template=_REF + "{model}")
        schema["properties"]["draftOrders"] = _BUNDLE_OF_DRAFT_ORDERS
        components[context] = schema
    hook_request = {
        "description": f"A CDS Hooks request for one of the hooks {', '.join(HOOKS)}.",
        "type": "object",
        "required": ["hook"],
        "properties": {"hook": {"enum": list(HOOKS)}},
        "oneOf": [{"$ref": _REF + name} for name in variants],
    }
    return {**components, **variants, "HookRequest": hook_request}


def _model_schemas(*models) -> dict[str, dict]:
    components: dict[str, dict] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=_REF + "{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components


_FINDING = {
    "type": "object",
    "required": ["rule", "kind", "status", "text", "reason"],
    "properties": {
        "rule": {"type": "string", "examples": ["IND-OSTEOPOROSIS"]},
        "kind": {"enum": ["indication", "absolute", "relative"]},
        "status": {"enum": ["met", "not_met", "unknown"]},
        "text": {"type": "string", "description": "The seed's wording of the rule."},
        "reason": {"type": "string", "description": "The values that decided the finding."},
    },
}
_RECOMMENDATION = {"enum": ["eligible", "review", "incomplete", "not_eligible"]}
_RESULT = {
    "type": "object",
    "description": "The engine's result (docs/engine.md, eligibility-rules.md 'Result format').",
    "required": ["ruleset_version", "recommendation", "flagged", "missing", "levels"],
    "properties": {
        "ruleset_version": {"type": "string", "examples": ["2026.11.1+5c5b529a"]},
        "recommendation": _RECOMMENDATION,
        "flagged": {"type": "boolean"},
        "missing": {"type": "array", "items": {"type": "string"}},
        "levels": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["level", "recommendation", "findings"],
                "properties": {
                    "level": {"type": "string"},
                    "recommendation": _RECOMMENDATION,
                    "findings": {"type": "array", "items": {"$ref": _REF + "Finding"}},
                },
            },
        },
    },
}
_ERRORS = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "examples": ["levels[0].pain_nrs"]},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
_OPERATION_OUTCOME = {
    "type": "object",
    "description": "A FHIR OperationOutcome naming what is wrong (CDS Hooks error bodies).",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"const": "error"},
                    "code": {"type": "string"},
                    "details": {
                        "type": "object",
                        "properties": {"text": {"type": "string"}},
                    },
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_BUNDLE = {
    "type": "object",
    "description": (
        "A FHIR R4B Bundle (type collection): Patient, Practitioner, ServiceRequest, "
        "Observations, Conditions and a GuidanceResponse. See docs/api.md."
    ),
    "required": ["resourceType", "type", "entry"],
    "properties": {
        "resourceType": {"const": "Bundle"},
        "type": {"const": "collection"},
        "entry": {"type": "array", "items": {"type": "object"}},
    },
    "externalDocs": {"url": "https://hl7.org/fhir/R4B/bundle.html"},
}


def _json(schema_name: str, description: str, media_type: str = "application/json") -> dict:
    return {
        "description": description,
        "content": {media_type: {"schema": {"$ref": _REF + schema_name}}},
    }


def _errors(description: str) -> dict:
    return _json("Errors", description)


def _outcome(description: str) -> dict:
    return _json("OperationOutcome", description)


# OpenAPI security requirements: each scheme with its (empty) list of scopes.
_SESSION: list[dict[str, list[str]]] = [{"session": []}]
_JWT: list[dict[str, list[str]]] = [{"cdsJwt": []}]
_CDS_ERRORS = {
    "401": _outcome(
        "No token, or a JWT that fails a check (issuer, key, signature, aud, exp, iat, jti)."
    ),
    "405": _outcome("Another method than the one listed."),
    "413": _outcome("The request is larger than 2 MiB."),
    "503": _outcome(
        "Authentication cannot be checked now (no trusted clients configured, the client's "
        "JWK Set unreachable, the replay cache down)."
    ),
}


def _paths() -> dict:
    service = f"/cds-services/{SERVICE_ID}"
    return {
        "/api/evaluate": {
            "post": {
                "operationId": "evaluateCase",
                "summary": "Evaluate a case with the eligibility engine; nothing is stored.",
                "security": _SESSION,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": _REF + "Case"}}},
                },
                "responses": {
                    "200": _json("Result", "The engine's result."),
                    "400": _errors("The case breaks the schema; each error names the field."),
                    "401": _errors("Not logged in."),
                    "403": _errors("CSRF token missing or wrong (send X-CSRFToken)."),
                    "405": _errors("Not a POST."),
                    "413": _errors("The case is larger than 64 KiB."),
                    "415": _errors("Not application/json."),
                },
            }
        },
        "/api/referrals/{id}/fhir": {
            "get": {
                "operationId": "exportReferralFhir",
                "summary": "A referral as a FHIR R4B Bundle (audited).",
                "security": _SESSION,
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "download",
                        "in": "query",
                        "required": False,
                        "description": "1: answer as an attachment (the download button).",
                        "schema": {"enum": ["1"]},
                    },
                ],
                "responses": {
                    "200": _json("Bundle", "The Bundle.", FHIR_JSON),
                    "401": _errors("Not logged in."),
                    "404": _errors("No such referral, or not one this user may see."),
                    "405": _errors("Not a GET."),
                },
            }
        },
        "/api/schema": {
            "get": {
                "operationId": "openapiSchema",
                "summary": "This document.",
                "security": _SESSION,
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": _errors("Not logged in."),
                    "405": _errors("Not a GET."),
                },
            }
        },
        "/cds-services": {
            "get": {
                "operationId": "cdsDiscovery",
                "summary": "CDS Hooks discovery.",
                "security": _JWT,
                "responses": {"200": _json("Discovery", "The services."), **_CDS_ERRORS},
            }
        },
        service: {
            "post": {
                "operationId": "cdsVertebroplastyEligibility",
                "summary": "Advice on draft vertebroplasty orders (order-select, order-sign).",
                "description": (
                    "Prefetch templates: "
                    + "; ".join(f"`{key}`: `{query}`" for key, query in PREFETCH.items())
                ),
                "security": _JWT,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": _REF + "HookRequest"}}},
                },
                "responses": {
                    "200": _json("HookResponse", "Cards (none when no vertebroplasty is ordered)."),
                    "400": _outcome(
                        "Not a valid CDS Hooks request for these hooks (also: a draft "
                        "ServiceRequest that is not valid FHIR, or one for another patient)."
                    ),
                    **_CDS_ERRORS,
                },
            }
        },
        f"{service}/feedback": {
            "post": {
                "operationId": "cdsFeedback",
                "summary": "Record what the clinician did with cards (accepted, overridden).",
                "security": _JWT,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": _REF + "FeedbackRequest"}}},
                },
                "responses": {
                    "200": {
                        "description": "Recorded.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"recorded": {"type": "integer"}},
                                }
                            }
                        },
                    },
                    "400": _outcome("Not valid feedback (the field is named)."),
                    "404": _outcome("A card this service did not issue (nothing is stored)."),
                    **_CDS_ERRORS,
                },
            }
        },
        "/cds/launch/{launch_id}": {
            "get": {
                "operationId": "cdsLaunch",
                "summary": "A CDS card's link (browser): creates the prefilled draft referral.",
                "description": (
                    "A browser page, not JSON: without a session it redirects to the login page."
                ),
                # Anonymous callers are expected: they are sent to log in (302).
                "security": [*_SESSION, {}],
                "parameters": [
                    {
                        "name": "launch_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ],
                "responses": {
                    "302": {"description": "To the draft referral (or to the login page)."},
                    "404": {"description": "Unknown link, or another physician's."},
                    "409": {"description": "The MRN belongs to a different registered patient."},
                    "410": {"description": "The link has expired."},
                    "422": {"description": "The EHR did not send enough to register the patient."},
                },
            }
        },
    }


@functools.cache
def _document() -> dict:
    schemas = {
        **case_schemas(),
        "Finding": _FINDING,
        "Result": _RESULT,
        "Errors": _ERRORS,
        "OperationOutcome": _OPERATION_OUTCOME,
        "Bundle": _BUNDLE,
        **_model_schemas(cds_models.HookResponse, cds_models.Discovery),
        **_refuse_nul(
            _hook_request_schemas(
                _model_schemas(cds_models.HookRequest, cds_models.FeedbackRequest)
            )
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "VPSelect API",
            "version": "1.0.0",
            "summary": "Vertebroplasty eligibility: engine, FHIR export and CDS Hooks.",
            "description": "See docs/api.md for curl examples.",
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": _paths(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": settings.SESSION_COOKIE_NAME,
                    "description": "A logged-in VPSelect session (POSTs also need X-CSRFToken).",
                },
                "cdsJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A JWT signed by a trusted CDS client (ES256/384/512 or RS256/384/512; "
                        "iss, aud = the URL called, exp, iat, jti), CDS Hooks 2.0. See docs/api.md."
                    ),
                },
            },
        },
    }


def openapi_document() -> dict:
    """The OpenAPI 3.1 document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
