"""System checks of the review app's settings: attachments stay out of every served path."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


def _served_directories() -> list[tuple[str, Path]]:
    served = [("MEDIA_ROOT", settings.MEDIA_ROOT), ("STATIC_ROOT", settings.STATIC_ROOT)]
    served += [("STATICFILES_DIRS", directory) for directory in settings.STATICFILES_DIRS]
    whitenoise_root = getattr(settings, "WHITENOISE_ROOT", None)
    if whitenoise_root:
        served.append(("WHITENOISE_ROOT", whitenoise_root))
    return [(name, Path(str(directory)).resolve()) for name, directory in served if directory]


@register()
def check_private_files_root(app_configs=None, **kwargs) -> list:
    """VPSELECT_PRIVATE_FILES_ROOT must not be, hold or lie inside a directory that is served."""
    private = Path(str(settings.VPSELECT_PRIVATE_FILES_ROOT)).resolve()
    problems = []
    for name, served in _served_directories():
        if private == served or private.is_relative_to(served) or served.is_relative_to(private):
            problems.append(
                Error(
                    f"VPSELECT_PRIVATE_FILES_ROOT ({private}) overlaps {name} ({served}).",
                    hint="Physicians' attachments are patient data served only through an "
                    "access check: keep them in a directory no web server or static files "
                    "app serves.",
                    id="reviews.E001",
                )
            )
    return problems
