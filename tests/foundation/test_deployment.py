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


def test_production_settings_refuse_the_development_cds_shared_secret():
    env = {**PRODUCTION_ENV, "VPSELECT_CDS_HOOKS_TOKEN": "a-shared-secret-0123456789abcdef0123"}
    result = run_manage("check", env_extra=env)
    assert result.returncode != 0
    assert "VPSELECT_CDS_HOOKS_TOKEN is for development only" in result.stderr


# --- Issue 25, part 2: the scale-out profile ----------------------------------------------------

APP_SERVICES = ("web", "worker", "beat", "web-2", "worker-2")


def compose_services() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def test_docker_compose_scale_profile_adds_a_web_node_a_worker_and_nginx_in_front():
    services = compose_services()
    scale = {name for name, service in services.items() if "scale" in service.get("profiles", [])}
    assert scale == {"web-2", "worker-2", "nginx"}
    assert services["web-2"]["command"] == services["web"]["command"]
    assert "gunicorn" in " ".join(services["web-2"]["command"])
    assert services["worker-2"]["command"] == services["worker"]["command"]
    nginx = services["nginx"]
    assert nginx["depends_on"] == {
        "web": {"condition": "service_healthy"},
        "web-2": {"condition": "service_healthy"},
    }
    config_path = next(v.split(":")[0] for v in nginx["volumes"] if "nginx" in v)
    config = (REPO / config_path).read_text()
    assert "server web:8000" in config and "server web-2:8000" in config
    assert "proxy_next_upstream error timeout;" in config


def test_docker_compose_has_exactly_one_beat_whatever_the_profile():
    services = compose_services()
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]
    assert "profiles" not in services["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert all("--beat" not in services[name]["command"] for name in ("worker", "worker-2"))


def test_docker_compose_workers_take_one_task_at_a_time():
    services = compose_services()
    for name in ("worker", "worker-2"):
        assert "--prefetch-multiplier=1" in services[name]["command"], name


def test_docker_compose_app_reaches_postgres_through_pgbouncer_in_transaction_mode():
    services = compose_services()
    pgbouncer = services["pgbouncer"]["environment"]
    assert pgbouncer["POOL_MODE"] == "transaction"
    assert pgbouncer["DATABASE_URL"].startswith("postgres://vpselect_app:")
    assert "@db:5432/" in pgbouncer["DATABASE_URL"]
    assert "options" in pgbouncer["IGNORE_STARTUP_PARAMETERS"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert "@pgbouncer:5432/" in env["DATABASE_URL"], name
        assert env["DJANGO_DB_BEHIND_PGBOUNCER"] == "true", name
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy", name
    migrate = services["migrate"]
    assert "@db:5432/" in migrate["environment"]["DATABASE_URL"]  # straight, as the owner
    assert "set_database_defaults" in " ".join(migrate["command"])


def test_docker_compose_web_nodes_are_ready_only_when_readyz_says_so():
    services = compose_services()
    for name in ("web", "web-2"):
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"]), name


def test_docker_compose_publishes_ports_on_127_0_0_1_only():
    published = [
        port for service in compose_services().values() for port in service.get("ports", [])
    ]
    assert published and all(port.startswith("127.0.0.1:") for port in published)


def test_behind_pgbouncer_django_uses_no_server_side_cursors_and_no_startup_options():
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['DISABLE_SERVER_SIDE_CURSORS'], d.get('OPTIONS', {}).get('options'))"
    )
    behind = run_manage(
        "shell", "-c", code, env_extra={**PRODUCTION_ENV, "DJANGO_DB_BEHIND_PGBOUNCER": "true"}
    )
    direct = run_manage("shell", "-c", code, env_extra=PRODUCTION_ENV)
    assert behind.stdout.splitlines()[-1].split() == ["True", "None"], behind.stderr
    assert direct.stdout.splitlines()[-1].split() == ["False", "-c", "jit=off"], direct.stderr


def test_scale_out_script_refuses_an_unknown_command_with_exit_2():
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "scale-out.sh"), "scale-to-the-moon"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "usage: scale-out.sh" in result.stderr
