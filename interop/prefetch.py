"""The prefetch fallback: when a trusted client sends no prefetch data but its FHIR server's
address and an access token, read the declared prefetch queries from that server ourselves.

Only the queries of the discovery document, only from a server the client's entry lists
(VPSELECT_CDS_CLIENTS `fhir_servers`), with a timeout and a size limit. A query that fails
stays absent: the card then answers what the data supports and asks for the rest.
"""

from urllib.parse import quote

from .cds import PREFETCH
from .cds_clients import TrustedClient
from .cds_models import HookRequest, OrderSignContext
from .fetch import FetchError, get_json

FHIR_TIMEOUT_SECONDS = 3.0
FHIR_MAX_BYTES = 1024 * 1024
_PATIENT_ID = "{{context.patientId}}"


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
