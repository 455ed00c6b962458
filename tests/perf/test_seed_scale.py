"""bench/seed.py --scale: a tiny scale, in the test database (COPY inside the test's
transaction), slice by slice as the 25 x run does."""

import random

import pytest
from django.db.models import Max
from django.utils import timezone

from audit.models import AuditEvent
from bench import seed
from outcomes.models import FollowUp, Procedure
from patients.models import Patient, Referral
from summaries.models import SummaryDocument

pytestmark = pytest.mark.django_db


def test_a_tiny_scale_seeds_slices_with_procedures_follow_ups_and_audit_events(
    monkeypatch, reason_codes
):
    monkeypatch.setattr(seed, "SLICE_PATIENTS", 15)
    # The audit trail is append-only: rows an earlier test committed may still be there.
    before = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    seeder = seed.Seeder(
        rng=random.Random(1), patients=30, referrals=60, today=timezone.localdate(), years=2
    )
    seeder.users()
    for first in (1, 16):
        seeder.build(first, first + 14, referrals=30)
        seeder.load()
        assert seeder.referrals == []  # a slice is forgotten once loaded
    seeder.finish()
    seeder.audit_events(250)

    assert Patient.objects.count() == 30
    assert Referral.objects.count() == 60
    assert set(Referral.objects.values_list("patient_id", flat=True)) == set(range(1, 31))
    assert SummaryDocument.objects.exists()
    treated = Procedure.objects.filter(referral__status=Referral.Status.ACCEPTED)
    assert treated.count() == Procedure.objects.count() > 0
    assert FollowUp.objects.count() == 6 * Procedure.objects.count()
    seeded = AuditEvent.objects.filter(id__gt=before)
    assert seeded.count() == 250
    assert not seeded.exclude(patient_id__range=(1, 30)).exists()
    # The sequences moved past the seeded ids: the app's next row does not collide.
    assert Referral.objects.create(patient_id=1, physician_id=seeder.physicians[0]).pk == 61


@pytest.mark.parametrize(
    "argv",
    [["--scale", "0"], ["--scale", "-1"], ["--patients", "10", "--referrals", "40"]],
)
def test_a_scale_or_counts_that_cannot_be_seeded_exit_2_before_touching_a_database(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        seed.main(argv)
    assert exit_info.value.code == 2
    assert "--" in capsys.readouterr().err
