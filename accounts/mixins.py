from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .roles import Role, has_role, is_clinician

NOT_A_CLINICIAN = _("Only clinicians of the clinic's groups record clinical data and decisions.")


class RoleRequiredMixin(UserPassesTestMixin):
    """Allow only users holding one of `allowed_roles` (superusers always)."""

    allowed_roles: tuple[Role, ...] = ()
    raise_exception = True
    request: HttpRequest

    def test_func(self) -> bool:
        return has_role(self.request.user, *self.allowed_roles)


def require_role(user, *roles: Role) -> None:
    """Raise PermissionDenied unless the user holds one of the roles."""
    if not has_role(user, *roles):
        raise PermissionDenied


def require_clinician(user, *roles: Role) -> None:
    """Raise PermissionDenied unless the user is a member of one of the clinical roles
    (being a superuser is not enough)."""
    if not is_clinician(user, *roles):
        raise PermissionDenied(NOT_A_CLINICIAN)
