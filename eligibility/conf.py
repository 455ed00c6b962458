"""The thresholds in force: the active ruleset version's, or VPSELECT_THRESHOLDS as its seed.

Once a governed version is active (see governance/services.py) the setting is only the
seed of the first version and no longer changes anything at run time. Each process keeps the
active version in memory: activating a version clears it in the activating process at once,
and every other process reads it again within VPSELECT_RULESET_REFRESH_SECONDS.
"""

import json
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.checks import Error, register
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.dispatch import receiver

from .engine import Thresholds

DEFAULT_REFRESH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ActiveRuleset:
    """The thresholds in force and the governed version they come from (None: the seed)."""

    thresholds: Thresholds
    number: int | None


_lock = threading.Lock()
_cached: tuple[float | None, ActiveRuleset] | None = None
_seeds: dict[str, Thresholds] = {}


def seed_thresholds() -> Thresholds:
    """The defaults with settings.VPSELECT_THRESHOLDS applied: the seed of the first version.

    Raises ValueError when the setting names an unknown threshold or gives a bad value.
    """
    return thresholds_of(getattr(settings, "VPSELECT_THRESHOLDS", None) or {})


def thresholds_of(values: dict) -> Thresholds:
    """The Thresholds of these named values, one object per distinct set of values (the engine
    remembers its work per thresholds object). Raises ValueError on a bad name or value."""
    key = json.dumps(values, sort_keys=True, default=repr)
    found = _seeds.get(key)
    if found is None:
        found = Thresholds.from_overrides(values)
        if len(_seeds) >= 64:
            _seeds.clear()
        _seeds[key] = found
    return found


def _load() -> tuple[ActiveRuleset, bool]:
    """(the ruleset in force, whether it may be cached)."""
    from .models import RulesetVersion

    try:
        row = (
            RulesetVersion.objects.filter(status=RulesetVersion.Status.ACTIVE)
            .values_list("number", "thresholds")
            .first()
        )
    except (DatabaseError, RuntimeError):
        # No database (the engine's CLI before migrate, a test without database access):
        # the seed, not remembered, so the next call asks again.
        return ActiveRuleset(seed_thresholds(), None), False
    if row is None:
        return ActiveRuleset(seed_thresholds(), None), True
    number, values = row
    return ActiveRuleset(thresholds_of(values), number), True


def active_ruleset() -> ActiveRuleset:
    """The ruleset in force, read from the database at most once per refresh interval."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and (cached[0] is None or now < cached[0]):
        return cached[1]
    ruleset, cacheable = _load()
    if cacheable:
        refresh = getattr(settings, "VPSELECT_RULESET_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)
        with _lock:
            _cached = (None if refresh is None else now + refresh, ruleset)
    return ruleset


def get_thresholds() -> Thresholds:
    """The thresholds new evaluations use."""
    return active_ruleset().thresholds


def forget_active_ruleset() -> None:
    """Read the active version again on next use (after an activation, in tests)."""
    global _cached
    with _lock:
        _cached = None


@receiver(setting_changed)
def _forget_thresholds(*, setting: str, **kwargs) -> None:
    if setting in ("VPSELECT_THRESHOLDS", "VPSELECT_RULESET_REFRESH_SECONDS"):
        forget_active_ruleset()


@register()
def check_thresholds(app_configs=None, **kwargs) -> list[Error]:
    """System check: VPSELECT_THRESHOLDS must name known thresholds with valid values."""
    try:
        seed_thresholds()
    except ValueError as exc:
        return [Error(f"VPSELECT_THRESHOLDS is invalid: {exc}", id="eligibility.E001")]
    return []
