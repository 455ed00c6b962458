from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Radiologist review"

    def ready(self) -> None:
        # Connects the radiologists' notices to submitted referrals and changed rules.
        from . import (
            checks,  # noqa: F401 - registers the system checks
            receivers,  # noqa: F401
        )
