"""The benchmark's yardsticks: the cheapest responses the project can serve, to compare the
pages with. Routed only by the bench's own URLconf (bench/urls.py, the bench settings').

- `floor` goes through the whole middleware stack (session, login required, audit, CSP…) and
  does one indexed SELECT, so the ratio of a page's throughput to the floor's is the cost of
  what the page itself does.
- `floor_page` does the same SELECT as a page: it checks a role, as every page does, and
  answers in the layout every page shares (`base.html`: navigation, CSRF token, messages).
  What a page costs beyond it is what that page alone does.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.mixins import require_role
from accounts.roles import Role
from patients.models import Referral


def _status(referral_id: int) -> str:
    statuses = Referral.objects.filter(pk=referral_id).order_by().values_list("status", flat=True)
    return next(iter(statuses), "")


@require_GET
def floor(request, referral_id: int):
    """The status of one referral, by primary key, as plain text (login required)."""
    return HttpResponse(_status(referral_id), content_type="text/plain; charset=utf-8")


@require_GET
def floor_page(request, referral_id: int):
    """The status of one referral in the layout, for a user with any role."""
    require_role(request.user, *Role)
    return render(request, "bench/floor_page.html", {"status": _status(referral_id)})
