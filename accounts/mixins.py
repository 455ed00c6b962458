from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied

from .roles import Role, has_role


class RoleRequiredMixin(UserPassesTestMixin):
    """Allow only users holding one of `allowed_roles` (superusers always)."""

    allowed_roles: tuple[Role, ...] = ()
    raise_exception = True

    def test_func(self) -> bool:
        return has_role(self.request.user, *self.allowed_roles)


def require_role(user, *roles: Role) -> None:
    """Raise PermissionDenied unless the user holds one of the roles."""
    if not has_role(user, *roles):
        raise PermissionDenied
