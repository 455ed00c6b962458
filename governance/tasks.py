"""Celery tasks of rule governance. They receive ids only, never patient data.

Their names are those they had in the eligibility app, so tasks queued before the move run.
"""

from celery import shared_task

from .services import ruleset_impacts_find, ruleset_replay_run

# A replay reads every submitted referral: it may take longer than the default soft limit,
# within the hard one.
LONG_SOFT_TIME_LIMIT = 4 * 60


@shared_task(
    name="eligibility.run_ruleset_replay", ignore_result=True, soft_time_limit=LONG_SOFT_TIME_LIMIT
)
def run_ruleset_replay(replay_id: int) -> None:
    """Replay a version on past referrals; the replay row holds progress and the report."""
    ruleset_replay_run(replay_id=replay_id)


@shared_task(
    name="eligibility.find_ruleset_impacts",
    ignore_result=True,
    soft_time_limit=LONG_SOFT_TIME_LIMIT,
)
def find_ruleset_impacts(activation_id: int) -> int:
    """After an activation: list and notify the open referrals whose recommendation changes."""
    return ruleset_impacts_find(activation_id=activation_id)
