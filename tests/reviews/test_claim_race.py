import threading
import time

import pytest
from django.db import connections

from patients.models import Referral
from reviews import services
from reviews.services import ReviewError, referral_claim

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_radiologists_claiming_at_once_only_one_gets_the_referral(
    radiologist, radiologist2, submitted, monkeypatch
):
    referral = submitted("review")
    locked = services._lock

    def slow_lock(referral):
        # Hold the row a moment after reading it: without the row lock both claims would
        # read "unassigned" here and both would win.
        row = locked(referral)
        time.sleep(0.3)
        return row

    monkeypatch.setattr(services, "_lock", slow_lock)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(user):
        try:
            start.wait(timeout=5)
            referral_claim(referral=referral, by=user)
            outcomes[user.username] = "claimed"
        except ReviewError as exc:
            outcomes[user.username] = exc.message
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(user,)) for user in (radiologist, radiologist2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)

    referral.refresh_from_db()
    assert sorted(outcomes.values()) == sorted(["claimed", services.REFERRAL_CLAIMED_BY_OTHER])
    winner = next(name for name, outcome in outcomes.items() if outcome == "claimed")
    assert referral.assigned_radiologist.username == winner
    assert referral.status == Referral.Status.UNDER_REVIEW
    assert referral.version == 3  # draft 1, submitted 2, claimed once 3
