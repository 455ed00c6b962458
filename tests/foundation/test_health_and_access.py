import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Paths anonymous users may reach, and API paths that answer 401 JSON instead of redirecting.
PUBLIC_NAMES = {"login", "healthz", "readyz"}
# The patient's questionnaire pages: opened by a personal link, no account (outcomes).
PUBLIC_NAMES |= {
    "questionnaire",
    "questionnaire-start",
    "questionnaire-thanks",
    "questionnaire-opt-out",
}
API_PREFIXES = ("api/", "cds-services")


def iter_patterns(resolver=None, prefix=""):
    """Every concrete URL pattern of the project as (route, name)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from iter_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def concrete_path(route: str) -> str:
    """Turn a route with converters or a regex into a path a client can GET."""
    import re

    path = re.sub(r"<int:[^>]+>", "1", route)
    path = re.sub(r"<uuid:[^>]+>", "00000000-0000-0000-0000-000000000001", path)
    path = re.sub(r"<[^>]+>", "x", path)
    path = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")


@pytest.mark.django_db
def test_anonymous_get_of_every_page_redirects_to_login(client):
    checked = 0
    for route, name in iter_patterns():
        if name in PUBLIC_NAMES or route.startswith("static"):
            continue
        path = concrete_path(route)
        response = client.get(path)
        if route.startswith(API_PREFIXES):
            assert response.status_code in (401, 405), (path, response.status_code)
            continue
        if route.startswith("admin/"):
            if response.status_code == 404:  # admin catch-all views answer 404 for junk ids
                continue
            assert response.status_code == 302, (path, response.status_code)
            assert "/login/" in response["Location"], path
            continue
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith(reverse("login")), (path, response["Location"])
        checked += 1
    assert checked >= 1


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in to VPSelect" in response.content


@pytest.fixture
def readiness():
    from vpselect.views import readiness

    readiness.forget()
    yield readiness
    readiness.forget()


@pytest.mark.django_db
def test_healthz_answers_without_the_database_or_the_broker(
    client, settings, django_assert_num_queries
):
    """Issue 17, finding 8: liveness has no dependencies, so an outage cannot tie it up."""
    from eligibility.conf import get_thresholds
    from eligibility.engine.version import ruleset_version

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-VPSelect-Ruleset"] == ruleset_version(get_thresholds())


@pytest.mark.django_db
def test_readyz_reports_ok_when_database_and_redis_answer(client, readiness):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert response["X-VPSelect-Ruleset"]


@pytest.mark.django_db
def test_readyz_reports_503_naming_the_broker_when_it_is_down(client, settings, readiness):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "down"}


@pytest.mark.django_db
def test_readyz_reports_503_naming_the_database_when_it_is_down(client, monkeypatch, readiness):
    from vpselect import views

    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


@pytest.mark.django_db
def test_readyz_probes_a_hung_broker_once_per_window_not_once_per_call(
    client, settings, readiness, hung_broker, monkeypatch
):
    settings.CELERY_BROKER_URL = hung_broker
    clock = [1000.0]
    monkeypatch.setattr(readiness, "now", lambda: clock[0])
    answers = [client.get("/readyz").status_code for _ in range(12)]
    assert answers == [503] * 12
    assert readiness.probes == 1
    clock[0] += 6  # past the window: probed again
    assert client.get("/readyz").status_code == 503
    assert readiness.probes == 2


@pytest.mark.django_db
def test_healthz_stays_200_while_the_database_and_broker_are_down(
    client, settings, monkeypatch, django_assert_num_queries
):
    """Liveness must not follow the database: restarting web nodes would not bring it back."""
    from vpselect import views

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(views, "_database_ok", lambda: False)
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_answers_name_the_ruleset_version_in_a_header(client, settings, path, readiness):
    from eligibility.engine.version import RULESET_RELEASE

    default = client.get(path)["X-VPSelect-Ruleset"]
    assert default.startswith(f"{RULESET_RELEASE}+")
    settings.VPSELECT_THRESHOLDS = {"SEVERE_PAIN_NRS": 8}
    changed = client.get(path)["X-VPSelect-Ruleset"]
    assert changed.startswith(f"{RULESET_RELEASE}+") and changed != default


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_leave_no_audit_event(client, path, readiness):
    from audit.models import AuditEvent

    client.get(path)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_authenticated_pages_are_not_cached(client, physician):
    client.force_login(physician)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
