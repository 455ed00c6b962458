"""The referral-access policy (`patients.access`) as a table: for each purpose and user, exactly
which referrals are visible; every other one answers 404, one by one as in lists."""

import pytest
from django.contrib.auth.models import Group
from django.http import Http404

from accounts.roles import Role, group_name
from patients.access import (
    Purpose,
    may_edit_identification,
    patient_for,
    patients_visible_to,
    referral_for,
    referrals_visible_to,
)
from tests.factories import make_patient, make_referral

pytestmark = pytest.mark.django_db

ALL = {"a_draft", "a_submitted", "b_draft", "b_submitted", "dual_draft"}
SUBMITTED = {"a_submitted", "b_submitted"}

# purpose -> user -> the referrals that user sees for that purpose.
VISIBLE = {
    Purpose.RECORD: {
        "physician_a": {"a_draft", "a_submitted"},
        "dual": {"dual_draft"},
        "radiologist": set(),
        "staff": set(),
        "superuser": ALL,
        "nobody": set(),
    },
    Purpose.SUMMARY: {
        "physician_a": {"a_draft", "a_submitted"},
        "dual": SUBMITTED,
        "radiologist": SUBMITTED,
        "staff": SUBMITTED,
        "superuser": SUBMITTED,
        "nobody": set(),
    },
    Purpose.OUTCOMES: {
        "physician_a": {"a_draft", "a_submitted"},
        "dual": ALL,
        "radiologist": ALL,
        "staff": ALL,
        "superuser": ALL,
        "nobody": set(),
    },
    Purpose.EXPORT: {
        "physician_a": {"a_draft", "a_submitted"},
        "dual": SUBMITTED | {"dual_draft"},
        "radiologist": SUBMITTED,
        "staff": SUBMITTED,
        "superuser": ALL,
        "nobody": set(),
    },
}
CASES = [
    (purpose, user, name, name in visible)
    for purpose, by_user in VISIBLE.items()
    for user, visible in by_user.items()
    for name in sorted(ALL)
]


@pytest.fixture
def world(make_user):
    """Physicians A and B with a draft and a submitted referral each; a user who is both a
    physician and a radiologist, with a draft; a radiologist, staff, the superuser, and a
    user without a role."""
    physician_a = make_user(Role.PHYSICIAN)
    physician_b = make_user(Role.PHYSICIAN)
    dual = make_user(Role.PHYSICIAN)
    dual.groups.add(Group.objects.get(name=group_name(Role.RADIOLOGIST)))
    users = {
        "physician_a": physician_a,
        "dual": dual,
        "radiologist": make_user(Role.RADIOLOGIST),
        "staff": make_user(Role.STAFF),
        "superuser": make_user(superuser=True),
        "nobody": make_user(),
    }
    referrals = {
        "a_draft": make_referral(physician=physician_a),
        "a_submitted": make_referral(physician=physician_a, submit=True),
        "b_draft": make_referral(physician=physician_b),
        "b_submitted": make_referral(physician=physician_b, submit=True),
        "dual_draft": make_referral(physician=dual),
    }
    return users, referrals


@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize("user", list(VISIBLE[Purpose.RECORD]))
def test_each_user_sees_exactly_the_referrals_of_the_table(world, purpose, user):
    users, referrals = world
    names = {referral.pk: name for name, referral in referrals.items()}

    visible = referrals_visible_to(users[user], purpose=purpose)

    assert {names[referral.pk] for referral in visible} == VISIBLE[purpose][user]


@pytest.mark.parametrize(("purpose", "user", "referral", "visible"), CASES)
def test_one_referral_is_returned_when_visible_and_answers_404_otherwise(
    world, purpose, user, referral, visible
):
    users, referrals = world
    if visible:
        found = referral_for(users[user], referrals[referral].pk, purpose=purpose)
        assert found == referrals[referral]
    else:
        with pytest.raises(Http404):
            referral_for(users[user], referrals[referral].pk, purpose=purpose)


def test_an_unknown_referral_answers_404_even_to_the_superuser(world):
    users, _referrals = world
    with pytest.raises(Http404):
        referral_for(users["superuser"], 999_999, purpose=Purpose.OUTCOMES)


@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize("user", list(VISIBLE[Purpose.RECORD]))
def test_patients_follow_their_referrals(world, purpose, user):
    """A patient is visible with one of its referrals (each referral here has its own patient,
    registered by the referring physician)."""
    users, referrals = world
    expected = {referrals[name].patient_id for name in VISIBLE[purpose][user]}

    visible = set(patients_visible_to(users[user], purpose=purpose).values_list("pk", flat=True))

    assert visible == expected
    for referral in referrals.values():
        if referral.patient_id in expected:
            assert patient_for(users[user], referral.patient_id, purpose=purpose).pk == (
                referral.patient_id
            )
        else:
            with pytest.raises(Http404):
                patient_for(users[user], referral.patient_id, purpose=purpose)


def test_a_physician_sees_a_patient_they_registered_but_never_referred(world):
    users, _referrals = world
    registered = make_patient(by=users["physician_a"])

    assert registered in patients_visible_to(users["physician_a"], purpose=Purpose.RECORD)
    assert patient_for(users["physician_a"], registered.pk, purpose=Purpose.RECORD) == registered
    with pytest.raises(Http404):
        patient_for(users["physician_a"], registered.pk, purpose=Purpose.SUMMARY)


@pytest.mark.parametrize(
    ("user", "may_edit"),
    [("physician_a", True), ("dual", False), ("radiologist", False), ("superuser", True)],
)
def test_only_the_registering_physician_or_the_superuser_edits_who_the_patient_is(
    world, user, may_edit
):
    users, referrals = world
    patient = referrals["a_draft"].patient

    assert may_edit_identification(user=users[user], patient=patient) is may_edit
