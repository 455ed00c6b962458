"""Synthetic demo patients for `make run`. Names and MRNs are invented."""


def seed_demo_patients() -> int:
    """Create the demo patients and referrals that do not exist yet; returns how many."""
    return 0
