"""Demo users, one or two per role, for `make run`. Never used in production."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import Role, group_name

# (username, first name, last name, role or None for the administrator, password)
DEMO_USERS: tuple[tuple[str, str, str, Role | None, str], ...] = (
    ("physician", "Paula", "Moreau", Role.PHYSICIAN, "demo-physician-2026"),
    ("physician2", "Omar", "Haddad", Role.PHYSICIAN, "demo-physician2-2026"),
    ("radiologist", "Rita", "Deramond", Role.RADIOLOGIST, "demo-radiologist-2026"),
    ("radiologist2", "Hugo", "Lambert", Role.RADIOLOGIST, "demo-radiologist2-2026"),
    ("staff", "Sam", "Okafor", Role.STAFF, "demo-staff-2026"),
    ("admin", "Ada", "Admin", None, "demo-admin-2026"),
)


# The demo administrator's authenticator key (hex). A demo only: real keys are generated.
DEMO_ADMIN_TOTP_KEY = "3132333435363738393031323334353637383930"


def seed_demo_users() -> list[tuple[str, str, str]]:
    """Create or reset the demo users; returns (username, role label, password) rows."""
    user_model = get_user_model()
    rows = []
    for username, first, last, role, password in DEMO_USERS:
        user, _ = user_model.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@vpselect.invalid"
        user.is_staff = user.is_superuser = role is None
        user.set_password(password)
        user.save()
        if role is not None:
            user.groups.set([Group.objects.get(name=group_name(role))])
        else:
            TOTPDevice.objects.update_or_create(
                user=user,
                name="Demo authenticator",
                defaults={"key": DEMO_ADMIN_TOTP_KEY, "confirmed": True},
            )
        rows.append((username, str(role.label) if role else "Administrator", password))
    return rows
