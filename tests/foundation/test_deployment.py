import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def run_manage(*args, env_extra, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "vpselect.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "DJANGO_ALLOWED_HOSTS": "vpselect.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/vpselect",
    "VPSELECT_PUBLIC_URL": "https://vpselect.example.org",
}


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env_extra=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# --- Issue 17, finding 5: published or short keys, and a missing public address --------------


@pytest.mark.parametrize(
    "key",
    [
        "insecure-local-development-key-change-me-0123456789",  # settings/base.py's default
        "change-me-to-a-long-random-secret-before-any-real-use",  # the old compose default
        "k3Y-" * 12,  # 48 characters: too short to be a random key
    ],
)
def test_production_refuses_a_published_or_short_secret_key(key):
    result = run_manage("check", env_extra={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is a published default or shorter than 50" in result.stderr


def test_production_refuses_a_published_key_kept_as_a_fallback():
    env = {
        **PRODUCTION_ENV,
        "DJANGO_SECRET_KEY_FALLBACKS": "insecure-local-development-key-change-me-0123456789",
    }
    result = run_manage("check", env_extra=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("url", [None, "http://vpselect.example.org", "https://"])
def test_production_requires_an_https_public_url(url):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "VPSELECT_PUBLIC_URL"}
    if url is not None:
        env["VPSELECT_PUBLIC_URL"] = url
    result = run_manage("check", env_extra=env)
    assert result.returncode != 0
    assert "VPSELECT_PUBLIC_URL" in result.stderr


def test_docker_compose_takes_the_secret_key_and_public_url_from_the_environment_only():
    text = (REPO / "docker-compose.yml").read_text()
    assert "${DJANGO_SECRET_KEY:?" in text
    assert "${VPSELECT_PUBLIC_URL:?" in text
    assert "change-me-to-a-long-random-secret" not in text


def test_docker_compose_runs_web_and_worker_after_healthy_db_and_redis():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "db", "redis"} <= set(services)
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "vpselect.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "celery" in " ".join(services["worker"]["command"])
    assert services["db"]["image"].startswith("postgres:16")
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]
    assert any("/var/lib/postgresql/data" in v for v in services["db"]["volumes"])
    assert set(compose["volumes"]) >= {"pgdata", "media"}
    # PDFs rendered by the worker are served by web: both mount the same media volume.
    for name in ("web", "worker"):
        assert "media:/app/media" in services[name]["volumes"], name
        assert services[name]["environment"]["DJANGO_MEDIA_ROOT"] == "/app/media"


def test_docker_compose_migrates_as_the_owner_and_runs_the_app_as_the_app_role():
    """Issue 17, finding 4: the app's own role cannot wipe the audit trail."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    owner = services["db"]["environment"]["POSTGRES_USER"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith(f"postgres://{owner}:")
    assert "grant_app_role" in " ".join(migrate["command"])
    for name in ("web", "worker"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://vpselect_app:")
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert "migrate" not in " ".join(services[name]["command"])
