from .roles import Role, has_role


def roles(request):
    """Role flags for navigation; evaluated lazily so anonymous pages pay nothing."""
    user = request.user

    return {
        "is_physician": lambda: has_role(user, Role.PHYSICIAN),
        "is_radiologist": lambda: has_role(user, Role.RADIOLOGIST),
        "is_clinic_staff": lambda: has_role(user, Role.STAFF),
    }
