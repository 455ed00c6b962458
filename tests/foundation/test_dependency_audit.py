"""`make lint`'s dependency audit never says "no vulnerabilities" about what it did not check."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import dependency_audit  # noqa: E402


def report(*dependencies) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_vulnerabilities_fail_and_are_named():
    verdict = dependency_audit.verdict_of(
        1,
        report(
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": []}],
            },
            {"name": "redis", "version": "6.0", "vulns": []},
        ),
        "",
    )
    assert verdict.exit_code(strict=False) == dependency_audit.EXIT_VULNERABLE
    assert "pip-audit: django PYSEC-1" in verdict.lines()


def test_skipped_packages_are_reported_as_not_checked_and_fail_only_when_strict():
    verdict = dependency_audit.verdict_of(
        0,
        report(
            {"name": "django", "skip_reason": "Dependency not found on PyPI"},
            {"name": "redis", "version": "6.0", "vulns": []},
        ),
        "",
    )
    text = "\n".join(verdict.lines())
    assert "NOT CHECKED: 1 of 2 packages" in text
    assert "no known vulnerabilities in 1 packages" in text
    assert verdict.exit_code(strict=False) == 0
    assert verdict.exit_code(strict=True) == dependency_audit.EXIT_NOT_CHECKED


def test_an_unreachable_database_says_nothing_was_checked():
    verdict = dependency_audit.verdict_of(
        1, "", "requests.exceptions.ConnectionError: api.osv.dev unreachable"
    )
    (line,) = verdict.lines()
    assert "NOT CHECKED" in line and "api.osv.dev" in line
    assert "no known vulnerabilities" not in line
    assert verdict.exit_code(strict=False) == 0
    assert verdict.exit_code(strict=True) == dependency_audit.EXIT_NOT_CHECKED


@pytest.mark.parametrize("strict", [False, True])
def test_a_real_run_never_claims_no_vulnerabilities_for_unchecked_packages(strict):
    command = [sys.executable, "scripts/dependency_audit.py", *(["--strict"] if strict else [])]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)
    out = done.stdout
    assert out.strip(), done.stderr
    if "NOT CHECKED" in out:
        assert done.returncode == (dependency_audit.EXIT_NOT_CHECKED if strict else 0)
    else:  # every package audited: the claim is then true
        assert "no known vulnerabilities in" in out or "pip-audit:" in out
