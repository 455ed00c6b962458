from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = "EHR interoperability (FHIR, CDS Hooks)"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
