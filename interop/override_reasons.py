"""The coded reasons a clinician may give for overriding a CDS card.

They come from the clinic's override reason codes (reviews.ReasonCode, kind "override",
editable in the admin) when that app is installed and has active ones; otherwise from the
defaults below, so a card always offers reasons.
"""

from django.apps import apps

from .codes import OVERRIDE_REASON_SYSTEM

DEFAULT_OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("clinical-judgement", "Clinical judgement: the benefit outweighs the finding"),
    ("information-outdated", "The EHR's information is outdated or wrong"),
    ("specialist-review", "An interventional radiologist will decide"),
    ("patient-preference", "Patient's informed preference"),
    ("not-applicable", "Advice not applicable to this patient"),
)


def override_reasons() -> list[dict]:
    """The override reasons as CDS Hooks Codings (system, code, display)."""
    pairs: list[tuple[str, str]] = []
    if apps.is_installed("reviews"):
        reason_code = apps.get_model("reviews", "ReasonCode")
        pairs = list(
            reason_code.objects.filter(kind="override", active=True)
            .order_by("position", "code")
            .values_list("code", "label")
        )
    if not pairs:
        pairs = list(DEFAULT_OVERRIDE_REASONS)
    return [
        {"system": OVERRIDE_REASON_SYSTEM, "code": code, "display": label} for code, label in pairs
    ]
