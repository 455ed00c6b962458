from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Radiologist review"

    def ready(self) -> None:
        # Connects the radiologists' notification to submitted referrals.
        from . import receivers  # noqa: F401
