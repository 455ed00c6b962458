"""Login required everywhere, said in a way a page's own background requests understand."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpResponse

# Sent to the page (htmx event) when one of its requests meets an ended session.
SESSION_ENDED_EVENT = "vpselect:session-ended"


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's LoginRequiredMiddleware, except for requests a page makes by itself (htmx).

    Redirected to the login page, htmx would swap the whole login page into the live panel.
    Instead the page is told, by an event, that the session has ended, and nothing is
    swapped: it keeps every answer and asks the physician to sign in again. A 200, not a
    401, so the browser logs no failed request.
    """

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") != "true":
            return super().handle_no_permission(request, view_func)
        response = HttpResponse(status=200)
        response["HX-Reswap"] = "none"
        response["HX-Trigger"] = SESSION_ENDED_EVENT
        response["Cache-Control"] = "no-store"
        return response
