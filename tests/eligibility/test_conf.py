"""Engine settings read by the app: VPSELECT_THRESHOLDS and its system check."""

import pytest

from eligibility.conf import check_thresholds, get_thresholds
from eligibility.engine import DEFAULT_THRESHOLDS, ruleset_version


def test_default_thresholds_without_overrides(settings):
    settings.VPSELECT_THRESHOLDS = {}
    assert get_thresholds() is DEFAULT_THRESHOLDS
    del settings.VPSELECT_THRESHOLDS
    assert get_thresholds() is DEFAULT_THRESHOLDS


def test_overrides_apply_and_change_the_version(settings):
    settings.VPSELECT_THRESHOLDS = {"INR_MAX": 1.8, "PLATELETS_MIN": 30}
    thresholds = get_thresholds()
    assert (thresholds.inr_max, thresholds.platelets_min) == (1.8, 30)
    assert get_thresholds() is thresholds  # cached until the setting changes
    assert ruleset_version(thresholds) != ruleset_version()


def test_bad_overrides_raise_and_fail_the_system_check(settings):
    settings.VPSELECT_THRESHOLDS = {"SEVERE_PAIN": 6}
    with pytest.raises(ValueError, match="Unknown threshold 'SEVERE_PAIN'"):
        get_thresholds()
    [error] = check_thresholds()
    assert error.id == "eligibility.E001"
    settings.VPSELECT_THRESHOLDS = {"SEVERE_PAIN_NRS": 6}
    assert check_thresholds() == []
