from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummariesConfig(AppConfig):
    name = "summaries"
    verbose_name = _("Referral summaries")

    def ready(self) -> None:
        # Connects the PDF receivers to the review decisions and registers the sweep.
        from . import receivers, tasks  # noqa: F401

        tasks.register_periodic_sweep()
