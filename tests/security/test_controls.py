"""Single controls: request size limits, HSTS in production, the admin's read-only records."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from patients.models import Patient, Referral
from tests.foundation.test_deployment import PRODUCTION_ENV

from .fuzz_support import patient_data_counts

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
OVERSIZED = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024


def test_the_upload_limit_is_256_kib():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 256 * 1024


def test_an_oversized_form_post_is_refused_with_400_and_saves_nothing(world, db):
    client = world.client("physician_a")
    before = patient_data_counts()
    response = client.post(
        reverse("patients:patient-create"),
        {
            "mrn": "BIG-1",
            "given_name": "x" * OVERSIZED,
            "family_name": "Big",
            "date_of_birth": "1950-01-01",
            "sex": "female",
        },
    )
    assert response.status_code == 400
    assert patient_data_counts() == before
    assert not Patient.objects.filter(mrn="BIG-1").exists()


def test_an_oversized_json_case_is_refused_with_413(world, db):
    client = world.client("physician_a")
    body = json.dumps({"levels": [], "padding": "x" * OVERSIZED})
    response = client.post(reverse("eligibility:api-evaluate"), body, "application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"]


def test_an_oversized_cds_hooks_call_is_refused_with_413(world, db, settings):
    settings.VPSELECT_CDS_HOOKS_TOKEN = "a-cds-token-long-enough-0123456789"
    client = world.client("anonymous")
    response = client.post(
        reverse("interop:cds-service"),
        b"{" + b" " * (3 * 1024 * 1024) + b"}",
        content_type="application/json",
        headers={"Authorization": "Bearer a-cds-token-long-enough-0123456789"},
    )
    assert response.status_code == 413


def test_a_referrals_old_version_cannot_be_restored_through_the_admin(world, db):
    """simple-history's "Revert" would save the old status, version and answers of a submitted
    referral past the intake services; the admin refuses it (and keeps showing the version)."""
    referral = world.bundles["a"].submitted
    first = referral.history.order_by("history_id").first()
    assert first.status == Referral.Status.DRAFT
    url = reverse("admin:patients_referral_simple_history", args=[referral.pk, first.history_id])
    client = world.client("superuser")
    assert client.get(url).status_code == 200
    response = client.post(url, {"_continue": "1"})
    referral.refresh_from_db()
    assert response.status_code == 403
    assert (referral.status, referral.latest_evaluation_id) == (
        Referral.Status.SUBMITTED,
        world.bundles["a"].submitted.latest_evaluation_id,
    )


HSTS_SCRIPT = """
import django
django.setup()
from django.test import Client
from django.conf import settings
settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
# A checkout has no collectstatic manifest (the Dockerfile makes one): make one, in a
# temporary directory, as the image build does; headers are the point.
import tempfile
from django.core.management import call_command
settings.STATIC_ROOT = tempfile.mkdtemp()
call_command("collectstatic", "--noinput", verbosity=0)
secure = Client().get("/accounts/login/", secure=True)
plain = Client().get("/accounts/login/")
print(secure["Strict-Transport-Security"])
print(plain.status_code, plain["Location"])
print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
"""


def test_production_answers_with_hsts_and_redirects_plain_http_to_https():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "-c", HSTS_SCRIPT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    hsts, redirect, cookies = result.stdout.strip().splitlines()[-3:]
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert redirect == "301 https://testserver/accounts/login/"
    assert cookies == "True True"


def test_a_login_with_an_overlong_username_is_a_form_error_not_a_server_error(world, db):
    """Found by the fuzz test: django-axes could not store the attempt and the page gave 500."""
    client = world.client("anonymous", raise_request_exception=False)
    response = client.post(
        reverse("login"), {"username": "a" * 300, "password": "a-long-test-password"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert client.get(reverse("home")).status_code == 302  # still signed out


def test_mark_printed_ignores_a_next_that_is_not_a_local_path(world, db):
    """Found by the fuzz test: `next` that is no path was taken for a view name (500), and a
    real view name such as "admin:index" would have been followed."""
    client = world.client("staff", raise_request_exception=False)
    document = world.bundles["a"].document
    url = reverse("summaries:mark-printed", args=[document.pk])
    for next_url in ("ÞZh:x", "admin:index", "https://evil.example/", "//evil.example/"):
        response = client.post(url, {"next": next_url})
        assert (response.status_code, response["Location"]) == (302, reverse("summaries:queue"))
    response = client.post(url, {"next": reverse("summaries:document", args=[document.pk])})
    assert response["Location"] == reverse("summaries:document", args=[document.pk])
