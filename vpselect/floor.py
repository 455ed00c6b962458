"""The benchmark's floor: the cheapest page the project can serve, to compare the others with.

It goes through the whole middleware stack (session, login required, audit, CSP…) and does
one indexed SELECT, so the ratio of a page's throughput to the floor's is the cost of what
the page itself does. Routed only when settings.VPSELECT_BENCH_FLOOR is true (bench/load.py).
"""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from patients.models import Referral


@require_GET
def floor(request, referral_id: int):
    """The status of one referral, by primary key, as plain text (login required)."""
    statuses = Referral.objects.filter(pk=referral_id).order_by().values_list("status", flat=True)
    return HttpResponse(next(iter(statuses), ""), content_type="text/plain; charset=utf-8")
