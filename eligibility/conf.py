"""The engine's settings as the app reads them: thresholds from VPSELECT_THRESHOLDS."""

import functools

from django.conf import settings
from django.core.checks import Error, register
from django.core.signals import setting_changed
from django.dispatch import receiver

from .engine import Thresholds


@functools.cache
def get_thresholds() -> Thresholds:
    """The thresholds in force: the defaults with settings.VPSELECT_THRESHOLDS applied.

    Raises ValueError when the setting names an unknown threshold or gives a bad value.
    """
    return Thresholds.from_overrides(getattr(settings, "VPSELECT_THRESHOLDS", None) or {})


@receiver(setting_changed)
def _forget_thresholds(*, setting: str, **kwargs) -> None:
    if setting == "VPSELECT_THRESHOLDS":
        get_thresholds.cache_clear()


@register()
def check_thresholds(app_configs=None, **kwargs) -> list[Error]:
    """System check: VPSELECT_THRESHOLDS must name known thresholds with valid values."""
    try:
        Thresholds.from_overrides(getattr(settings, "VPSELECT_THRESHOLDS", None) or {})
    except ValueError as exc:
        return [Error(f"VPSELECT_THRESHOLDS is invalid: {exc}", id="eligibility.E001")]
    return []
