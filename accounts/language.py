"""The interface language: the user's saved choice first, then the browser's Accept-Language.

The choice is copied into the session at login and when the user switches, so reading it
costs no query on ordinary requests.
"""

from django.conf import settings
from django.utils import translation

SESSION_LANGUAGE_KEY = "vpselect_language"


def supported(language: str) -> bool:
    return language in {code for code, _name in settings.LANGUAGES}


def remember(request, language: str) -> None:
    """Keep `language` for the rest of this session (blank: follow the browser again)."""
    if language:
        request.session[SESSION_LANGUAGE_KEY] = language
    else:
        request.session.pop(SESSION_LANGUAGE_KEY, None)


class UserLanguageMiddleware:
    """After LocaleMiddleware: a saved choice beats the cookie and the browser's header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.session.get(SESSION_LANGUAGE_KEY, "")
        if supported(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def on_login(sender, request, user, **kwargs):
    """Carry the user's saved language into the new session (none saved: the browser's)."""
    if request is None or not hasattr(request, "session"):
        return
    from .models import Preferences

    language = Preferences.objects.filter(user=user).values_list("language", flat=True).first()
    remember(request, language or "")
