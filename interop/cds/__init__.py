"""The vertebroplasty-eligibility CDS Hooks service, by concern: `requests` (discovery, the
hook request and its draft orders), `prefetch` (the declared queries, the resources read from
them, the fallback that fetches them) and `cards` (the advice and card for each order)."""

from .cards import (
    INDICATOR,
    TOPIC,
    Advice,
    advise,
    advise_order,
    card_language,
    patient_details,
    usable_case,
)
from .prefetch import PREFETCH, Prefetched, read_prefetch, with_fetched_prefetch
from .requests import (
    HOOKS,
    SERVICE_ID,
    HookRequestError,
    discovery,
    parse_hook_request,
    vertebroplasty_orders,
)

__all__ = [
    "HOOKS",
    "INDICATOR",
    "PREFETCH",
    "SERVICE_ID",
    "TOPIC",
    "Advice",
    "HookRequestError",
    "Prefetched",
    "advise",
    "advise_order",
    "card_language",
    "discovery",
    "parse_hook_request",
    "patient_details",
    "read_prefetch",
    "usable_case",
    "vertebroplasty_orders",
    "with_fetched_prefetch",
]
