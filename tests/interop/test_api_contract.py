"""The API keeps its own contract: schemathesis, against the live test server, over every
operation of the OpenAPI document (/api/schema), finds no failure."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from interop.openapi import openapi_document

from .sandbox_client import SandboxClient, entry

REPO = Path(__file__).resolve().parents[2]
CSRF_SECRET = "a" * 32  # a CSRF cookie value Django accepts (32 alphanumerics)
# Examples per operation and a fixed seed: the same run every time, a few seconds per operation.
MAX_EXAMPLES = 25
SEED = 20261204


@pytest.fixture
def contract_env(live_server, client, physician, settings, tmp_path) -> dict[str, str]:
    sandbox = SandboxClient()
    clients_file = tmp_path / "cds-clients.json"
    clients_file.write_text(json.dumps({"clients": [entry(sandbox)]}))
    settings.VPSELECT_CDS_CLIENTS = str(clients_file)
    settings.VPSELECT_CDS_HOOKS_TOKEN = ""
    key_file = tmp_path / "sandbox-key.pem"
    key_file.write_bytes(
        sandbox.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    client.force_login(physician)
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(openapi_document()))
    return {
        "SCHEMATHESIS_HOOKS": "tests.interop.schemathesis_hooks",
        "PYTHONPATH": str(REPO),
        "VPSELECT_ST_BASE_URL": live_server.url,
        "VPSELECT_ST_SESSION": client.cookies["sessionid"].value,
        "VPSELECT_ST_CSRF": CSRF_SECRET,
        "VPSELECT_ST_ISS": sandbox.iss,
        "VPSELECT_ST_KID": sandbox.kid,
        "VPSELECT_ST_JKU": sandbox.jku,
        "VPSELECT_ST_KEY": str(key_file),
        "VPSELECT_ST_SCHEMA": str(schema_file),
    }


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_failure_on_any_operation(contract_env, tmp_path):
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(Path(__file__).parent / "schemathesis.toml"),
        "run",
        contract_env["VPSELECT_ST_SCHEMA"],
        "--url",
        contract_env["VPSELECT_ST_BASE_URL"],
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        "none",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,  # schemathesis keeps a crash cache in the working directory
        env={**os.environ, **contract_env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    # Schemathesis's summary (shown with pytest -s): test cases, then the closing line.
    summary = [
        line
        for line in output.splitlines()
        if re.search(r"\d+ (generated|passed)|^=+ .* in [\d.]+s =+$", line)
    ]
    print("\n".join(summary))
    assert result.returncode == 0, output[-20000:]
    operations = sum(len(item) for item in openapi_document()["paths"].values())
    assert f"Tested: {operations}" in output  # every operation, none skipped
