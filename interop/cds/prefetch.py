"""The prefetch: the queries the discovery document declares, and the resources read from them.

The fallback: when a trusted client sends no prefetch data but its FHIR server's
address and an access token, read the declared prefetch queries from that server ourselves.

Only the queries of the discovery document, only from a server the client's entry lists
(VPSELECT_CDS_CLIENTS `fhir_servers`), with a timeout and a size limit. A query that fails
stays absent: the card then answers what the data supports and asks for the rest.
"""

from dataclasses import dataclass, field
from urllib.parse import quote

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.domainresource import DomainResource
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from .. import codes
from ..cds_clients import TrustedClient
from ..cds_models import HookRequest, OrderSignContext
from ..fetch import FetchError, get_json

FHIR_TIMEOUT_SECONDS = 3.0
FHIR_MAX_BYTES = 1024 * 1024
_PATIENT_ID = "{{context.patientId}}"
PREFETCH = {
    "patient": f"Patient/{_PATIENT_ID}",
    "observations": (
        f"Observation?patient={_PATIENT_ID}&code="
        + ",".join(
            [
                f"{codes.LOINC}|{codes.PAIN_NRS.code}",
                f"{codes.LOINC}|{codes.INR.code}",
                f"{codes.LOINC}|{codes.PLATELETS.code}",
                f"{codes.ANSWER_SYSTEM}|",
            ]
        )
    ),
    "conditions": f"Condition?patient={_PATIENT_ID}",
}
_RESOURCE_MODELS: dict[str, type[DomainResource]] = {
    "Patient": Patient,
    "Observation": Observation,
    "Condition": Condition,
}


def prefetch_query_urls(fhir_server: str, patient_id: str) -> dict[str, str]:
    """The absolute URL of each declared prefetch query for this patient."""
    base = fhir_server.rstrip("/")
    patient = quote(patient_id, safe="")  # an id never adds a path segment or a parameter
    return {key: f"{base}/{query.replace(_PATIENT_ID, patient)}" for key, query in PREFETCH.items()}


def with_fetched_prefetch(
    hook_request: HookRequest, context: OrderSignContext, client: TrustedClient | None
) -> tuple[HookRequest, list[str]]:
    """The request with the prefetch keys it lacked read from its fhirServer, and the keys read.

    Unchanged when the client is not a registered one, sends no fhirServer or
    fhirAuthorization, or names a server its entry does not allow.
    """
    authorization = hook_request.fhirAuthorization
    server = hook_request.fhirServer
    if client is None or not server or authorization is None:
        return hook_request, []
    if not client.allows_fhir_server(server):
        return hook_request, []
    prefetch = dict(hook_request.prefetch or {})
    fetched: list[str] = []
    headers = {
        "Accept": "application/fhir+json",
        "Authorization": f"Bearer {authorization.access_token}",
    }
    for key, url in prefetch_query_urls(server, context.patientId).items():
        if prefetch.get(key) is not None:
            continue
        try:
            prefetch[key] = get_json(
                url, timeout=FHIR_TIMEOUT_SECONDS, max_bytes=FHIR_MAX_BYTES, headers=headers
            )
        except FetchError:
            continue
        fetched.append(key)
    return hook_request.model_copy(update={"prefetch": prefetch}), fetched


def reference_id(reference: str | None, resource_type: str) -> str | None:
    """The id in a relative or absolute reference to a resource type, e.g. Patient/123."""
    if not reference:
        return None
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == resource_type:
        return parts[-1]
    return None


def about_other_patient(resource, patient_id: str) -> bool:
    """Whether the resource's subject is a Patient other than this one."""
    subject = getattr(resource, "subject", None)
    referenced = reference_id(subject.reference if subject else None, "Patient")
    return referenced is not None and referenced != patient_id


@dataclass
class Prefetched:
    """The prefetched resources this service reads, and what it could not use."""

    patient: Patient | None = None
    observations: list[Observation] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    unreadable: int = 0
    other_patient: int = 0
    reported_errors: int = 0


def _read_resource(resource: object, found: Prefetched, patient_id: str) -> None:
    if not isinstance(resource, dict):
        found.unreadable += 1
        return
    resource_type = resource.get("resourceType")
    if resource_type == "OperationOutcome":
        found.reported_errors += 1
        return
    model = _RESOURCE_MODELS.get(resource_type) if isinstance(resource_type, str) else None
    if model is None:
        return
    try:
        parsed = model.model_validate(resource)
    except Exception:  # a resource we cannot read is counted and skipped
        found.unreadable += 1
        return
    if isinstance(parsed, Patient):
        if parsed.id is not None and parsed.id != patient_id:
            found.other_patient += 1
        elif found.patient is None:
            found.patient = parsed
        return
    if about_other_patient(parsed, patient_id):
        found.other_patient += 1
    elif isinstance(parsed, Observation):
        found.observations.append(parsed)
    elif isinstance(parsed, Condition):
        found.conditions.append(parsed)


def read_prefetch(prefetch: dict | None, patient_id: str) -> Prefetched:
    """Parse the prefetch resources one by one; bad ones are counted, never fatal."""
    found = Prefetched()
    for value in (prefetch or {}).values():
        if value is None:
            continue  # the client had no data for this template
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            entries = value.get("entry") or []
            if not isinstance(entries, list):
                found.unreadable += 1
                continue
            for entry in entries:
                _read_resource(
                    entry.get("resource") if isinstance(entry, dict) else None,
                    found,
                    patient_id,
                )
        else:
            _read_resource(value, found, patient_id)
    return found
