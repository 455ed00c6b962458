import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext_lazy as _

SESSION_STARTED_KEY = "vpselect_started"
SESSION_LAST_ACTIVITY_KEY = "vpselect_last_activity"
SESSION_EXPIRED = _("Your session expired. Please log in again.")
# Sent by requests a page makes on its own (polling); they do not keep a session alive.
BACKGROUND_HEADER = "X-VPSelect-Background"


class NoStoreForAuthenticatedMiddleware:
    """Pages for a logged-in user carry patient data: browsers and proxies must not keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response


class SessionTimeoutMiddleware:
    """Log out a session idle for SESSION_IDLE_TIMEOUT or older than SESSION_ABSOLUTE_TIMEOUT.

    Both are checked on the server, whatever the browser's cookie says.
    """

    # Refreshing the idle stamp on every request would write the session row every time.
    STAMP_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault(SESSION_STARTED_KEY, now)
            last = session.get(SESSION_LAST_ACTIVITY_KEY, now)
            if (
                now - last > settings.SESSION_IDLE_TIMEOUT
                or now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            ):
                logout(request)
                messages.info(request, SESSION_EXPIRED)
            elif BACKGROUND_HEADER in request.headers:
                pass  # a page polling by itself (the unread badge) is not the user's activity
            elif now - last >= self.STAMP_EVERY or SESSION_LAST_ACTIVITY_KEY not in session:
                session[SESSION_LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
