"""A CDS Hooks call to the vertebroplasty-eligibility service: the discovery document, the
request and its context read (HookRequestError names what is wrong), the draft orders to
advise on."""

from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from ..cds_models import (
    CdsService,
    Discovery,
    HookRequest,
    OrderSelectContext,
    OrderSignContext,
    error_fields,
)
from ..fhir_import import is_vertebroplasty
from .prefetch import PREFETCH, about_other_patient, reference_id

SERVICE_ID = "vertebroplasty-eligibility"
HOOKS = ("order-select", "order-sign")
_CONTEXTS: dict[str, type[OrderSignContext]] = {
    "order-select": OrderSelectContext,
    "order-sign": OrderSignContext,
}

MALFORMED_JSON = "The body is not a JSON object."
UNSUPPORTED_HOOK = "This service answers the order-select and order-sign hooks only."
DRAFT_ORDERS_NOT_BUNDLE = "draftOrders must be a FHIR Bundle."
DRAFT_ORDER_INVALID = "The draft ServiceRequest is not a valid FHIR R4 resource."
DRAFT_ENTRY_INVALID = "A Bundle entry must be an object whose resource has a resourceType."
DRAFT_ORDER_OTHER_PATIENT = "The draft order is for another patient than context.patientId."
_DESCRIPTIONS = {
    "order-select": (
        "When a percutaneous vertebroplasty is selected, checks the patient's data against "
        "the indications and contraindications of VPSelect's rules and says what is missing."
    ),
    "order-sign": (
        "Before a percutaneous vertebroplasty order is signed, checks the patient's data "
        "against the indications and contraindications of VPSelect's rules."
    ),
}
USAGE = (
    "Send the draft ServiceRequest with one body site per vertebral level (SNOMED CT vertebra "
    "codes or text such as 'L2'). Answers the EHR does not hold are listed as questions; the "
    "card's link opens a prefilled VPSelect referral. Authenticate with the shared bearer token."
)


class HookRequestError(Exception):
    """The request breaks the CDS Hooks spec or this service's contract (answer 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def discovery() -> Discovery:
    """The discovery document: this service, once per hook it answers."""
    return Discovery(
        services=[
            CdsService(
                hook=hook,
                title="VPSelect vertebroplasty eligibility",
                description=_DESCRIPTIONS[hook],
                id=SERVICE_ID,
                prefetch=PREFETCH,
                usageRequirements=USAGE,
            )
            for hook in HOOKS
        ]
    )


def parse_hook_request(body: bytes) -> tuple[HookRequest, OrderSignContext]:
    """The request and its hook's context, or HookRequestError naming what is wrong."""
    try:
        request = HookRequest.model_validate_json(body)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" or not item["loc"] for item in error.errors()):
            raise HookRequestError("", MALFORMED_JSON) from None
        raise HookRequestError(*error_fields(error)[0]) from None
    if request.hook not in HOOKS:
        raise HookRequestError("hook", UNSUPPORTED_HOOK)
    try:
        context = _CONTEXTS[request.hook].model_validate(request.context)
    except ValidationError as error:
        raise HookRequestError(*error_fields(error, prefix="context")[0]) from None
    return request, context


def vertebroplasty_orders(hook: str, context: OrderSignContext) -> list[ServiceRequest]:
    """The draft vertebroplasty orders to advise on (order-select: the selected ones only)."""
    bundle = context.draftOrders
    entries = bundle.get("entry", [])
    if bundle.get("resourceType") != "Bundle" or not isinstance(entries, list):
        raise HookRequestError("context.draftOrders", DRAFT_ORDERS_NOT_BUNDLE)
    selections = set(context.selections) if isinstance(context, OrderSelectContext) else None
    orders = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise HookRequestError(f"context.draftOrders.entry[{index}]", DRAFT_ENTRY_INVALID)
        if "resource" not in entry:
            continue  # FHIR allows an entry without a resource
        resource = entry["resource"]
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise HookRequestError(f"context.draftOrders.entry[{index}]", DRAFT_ENTRY_INVALID)
        if resource["resourceType"] != "ServiceRequest":
            continue
        if selections is not None and (
            not resource.get("id")
            or not any(
                reference_id(selected, "ServiceRequest") == resource.get("id")
                for selected in selections
            )
        ):
            continue
        where = f"context.draftOrders.entry[{index}].resource"
        try:
            order = ServiceRequest.model_validate(resource)
        except Exception:  # any failure to read hostile input is the client's
            raise HookRequestError(where, DRAFT_ORDER_INVALID) from None
        if not is_vertebroplasty(order):
            continue
        if about_other_patient(order, context.patientId):
            raise HookRequestError(f"{where}.subject", DRAFT_ORDER_OTHER_PATIENT)
        orders.append(order)
    return orders
