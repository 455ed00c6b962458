"""CDS Hooks 2.0 messages as pydantic models: requests are checked strictly, responses are
built from these and serialised without empty optional fields (the spec forbids null).

https://cds-hooks.hl7.org/2.0/
"""

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "Card",
    "CdsService",
    "Coding",
    "Discovery",
    "FeedbackItem",
    "FeedbackRequest",
    "HookRequest",
    "HookResponse",
    "Link",
    "OrderSelectContext",
    "OrderSignContext",
    "Source",
    "ValidationError",
    "error_fields",
]


NUL_CHARACTER = "Text must not contain NUL (\\u0000) characters."


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


class _Incoming(BaseModel):
    # Strict: a number is not a string, a string is not a boolean. Unknown members (the spec's
    # extensions) are ignored.
    model_config = ConfigDict(strict=True, extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text or jsonb: refuse it here, as a 400.
        if _contains_nul(value):
            raise ValueError(NUL_CHARACTER)
        return value


class _Outgoing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)


class FhirAuthorization(_Incoming):
    access_token: str
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class HookRequest(_Incoming):
    hook: str = Field(min_length=1, max_length=100)
    hookInstance: str = Field(min_length=1, max_length=100)
    fhirServer: str | None = Field(default=None, max_length=2000)
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    # Each value is a FHIR resource, a searchset Bundle or null; read resource by resource.
    prefetch: dict[str, Any] | None = None


class OrderSignContext(_Incoming):
    userId: str = Field(min_length=1, max_length=200)
    patientId: str = Field(min_length=1, max_length=200)
    encounterId: str | None = Field(default=None, max_length=200)
    draftOrders: dict[str, Any]


class OrderSelectContext(OrderSignContext):
    selections: list[str] = Field(min_length=1, max_length=100)


class Coding(_Outgoing):
    system: str | None = None
    code: str
    display: str | None = None


class Source(_Outgoing):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Link(_Outgoing):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(_Outgoing):
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None


class HookResponse(_Outgoing):
    cards: list[Card]


class CdsService(_Outgoing):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Outgoing):
    services: list[CdsService]


class ReasonCoding(_Incoming):
    system: str | None = Field(default=None, max_length=255)
    code: str = Field(min_length=1, max_length=64)
    display: str | None = Field(default=None, max_length=200)


class OverrideReason(_Incoming):
    reason: ReasonCoding | None = None
    userComment: str | None = Field(default=None, max_length=2000)


class AcceptedSuggestion(_Incoming):
    id: str = Field(min_length=1, max_length=100)


class FeedbackItem(_Incoming):
    card: UUID
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(default=None, max_length=100)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: AwareDatetime


class FeedbackRequest(_Incoming):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)


def _path(location: tuple, prefix: str) -> str:
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def error_fields(error: ValidationError, *, prefix: str = "") -> list[tuple[str, str]]:
    """(field path, message) per problem, never echoing the input (it may be patient data)."""
    return [
        (_path(tuple(item["loc"]), prefix), item["msg"])
        for item in error.errors(include_url=False, include_context=False, include_input=False)
    ]
