from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"
    verbose_name = "Eligibility"

    def ready(self) -> None:
        from . import conf  # noqa: F401 - registers the check of VPSELECT_THRESHOLDS
