"""The bench's URLconf: the site's, plus the load benchmark's yardsticks (bench/floor.py).

Only the bench settings route it (ROOT_URLCONF), so no other deployment serves the floor.
"""

from django.urls import path

from vpselect.urls import handler403, handler404, handler500
from vpselect.urls import urlpatterns as site_urlpatterns

from .floor import floor, floor_page

urlpatterns = [
    *site_urlpatterns,
    path("bench/floor/<int:referral_id>/", floor, name="bench-floor"),
    path("bench/floor-page/<int:referral_id>/", floor_page, name="bench-floor-page"),
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
