"""The clinic's roles: one Django group each, with their model permissions.

Superusers are administrators: they pass the role checks for reading (`has_role`), but a
clinical write needs real membership of the clinical group (`is_clinician`). An IT account
is not a clinician.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    PHYSICIAN = "physician", "Referring physician"
    RADIOLOGIST = "radiologist", "Interventional radiologist"
    STAFF = "staff", "Clinic staff"
    GOVERNANCE = "governance", "Clinical governance lead"


# Model permissions per role, as "app_label.codename". Object-level rules (a physician sees
# only their own referrals) live in the selectors, not here.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.PHYSICIAN: (
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_patient",
        "patients.add_referral",
        "patients.change_referral",
        "patients.view_referral",
        "patients.add_targetlevel",
        "patients.change_targetlevel",
        "patients.delete_targetlevel",
        "patients.view_targetlevel",
        "eligibility.add_evaluation",
        "eligibility.view_evaluation",
    ),
    Role.RADIOLOGIST: (
        "patients.view_patient",
        "patients.view_referral",
        "patients.change_referral",
        "patients.view_targetlevel",
        "eligibility.view_evaluation",
    ),
    Role.STAFF: (
        "patients.view_patient",
        "patients.view_referral",
        "patients.view_targetlevel",
        "eligibility.view_evaluation",
    ),
    # Proposes threshold versions, replays them, approves (governance/services.py).
    Role.GOVERNANCE: (
        "eligibility.view_rulesetversion",
        "eligibility.add_rulesetversion",
        "eligibility.add_rulesetapproval",
        "eligibility.view_rulesetreplay",
    ),
}


def group_name(role: Role) -> str:
    return str(role.label)


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles a user holds, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_vpselect_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        cached = frozenset(role for role in Role if group_name(role) in names)
        user._vpselect_roles = cached  # type: ignore[attr-defined]
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    """True when the user is a superuser or holds one of the roles."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & set(roles))


def is_clinician(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    """True when the user is a member of one of the roles' groups, superuser or not.

    The one rule for clinical writes: intake, claims, decisions, countersignatures,
    procedures and follow-ups.
    """
    if not user.is_authenticated:
        return False
    return bool(user_roles(user) & set(roles))


def sync_role_permissions(*, apps=None, **kwargs) -> None:
    """Create the role groups and give them exactly the permissions listed above.

    Runs after every migrate so that permissions of apps added later are granted too.
    """
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)
