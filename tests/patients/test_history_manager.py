"""The history managers of patients, referrals and levels: one class per process, same behaviour.

simple-history's descriptor calls `from_queryset` on every `Model.history` read, including
the one it makes for every history record it writes; `patients.history.HistoryManager`
hands back the class it made the first time instead of building a new one.
"""

from unittest import mock

import pytest
from django.db.models import Manager
from simple_history.manager import HistoricalQuerySet
from simple_history.manager import HistoryManager as SimpleHistoryManager

from patients.history import HistoryManager
from patients.models import Patient, Referral, TargetLevel
from patients.services import patient_update, referral_create, target_level_add


@pytest.mark.parametrize("model", [Patient, Referral, TargetLevel])
def test_the_history_manager_class_is_built_once_and_is_simple_historys(model):
    first, second = model.history, model.history
    assert type(first) is type(second)
    assert isinstance(first, HistoryManager)
    assert isinstance(first, SimpleHistoryManager)
    assert first.model is second.model is model.history.model
    assert first.instance is None
    assert first._queryset_class is HistoricalQuerySet
    # The queryset's public methods are on the manager, as from_queryset makes them.
    assert callable(first.latest_of_each) and callable(first.as_instances)


@pytest.mark.django_db
def test_writing_history_records_builds_no_manager_class(physician, make_patient):
    patient = make_patient(physician)
    with mock.patch.object(Manager, "_get_queryset_methods", autospec=True) as built:
        referral = referral_create(patient=patient, by=physician)
        target_level_add(referral=referral, by=physician, position=0, level="L1")
        patient_update(patient=patient, by=physician, given_name="Other")
    assert built.call_count == 0

    # The records are written as before, with their users.
    assert [(r.history_type, r.history_user) for r in referral.history.all()] == [("+", physician)]
    assert [(r.history_type, r.level, r.history_user) for r in TargetLevel.history.all()] == [
        ("+", "L1", physician)
    ]
    records = patient.history.order_by("history_id")
    assert [(r.history_type, r.given_name, r.history_user) for r in records][-1] == (
        "~",
        "Other",
        physician,
    )


@pytest.mark.django_db
def test_instance_history_is_filtered_to_the_instance(physician, make_patient):
    patient = make_patient(physician)
    other = make_patient(physician)
    mine, theirs = (referral_create(patient=p, by=physician) for p in (patient, other))
    assert mine.history.instance == mine
    assert [r.id for r in mine.history.all()] == [mine.pk]
    assert [r.id for r in theirs.history.all()] == [theirs.pk]
    assert mine.history.most_recent().pk == mine.pk
    assert type(mine.history) is type(Referral.history)
