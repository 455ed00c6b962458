from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Radiologist review")

    def ready(self) -> None:
        # Connects the radiologists' notices to submitted referrals and changed rules.
        from . import (
            checks,  # noqa: F401 - registers the system checks
            receivers,  # noqa: F401
        )
