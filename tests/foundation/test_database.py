import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_jit_is_off_on_the_apps_connections():
    """JIT compiled the app's short queries it misjudged as expensive (docs/performance.md)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
