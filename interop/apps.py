from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = _("EHR interoperability (FHIR, CDS Hooks)")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
