"""Every URL × role × method × object against the checked-in table, and what every answer of
that sweep carries: security headers, no PHI in logs or links, an audit event per access.

The sweep runs once per module (tests/security/sweep.py); each test reads its record. Set
VPSELECT_ACCESS_MATRIX_OUT=<file> to write the answers observed, in the table's format.
"""

import json
import os
import re
from pathlib import Path

import pytest

from audit.models import AuditEvent
from tests.conftest import ARTIFACTS

from .sweep import (
    BUNDLE_KINDS,
    build_url,
    load_table,
    observed_table,
    run_sweep,
    table_entry,
    url_patterns,
)
from .world import CANARIES, ROLES

pytestmark = pytest.mark.django_db

PHYSICIANS = ("physician_a", "physician_b")
REFUSALS = {401, 403, 404, 405, "login"}
SIGN_OUT = {"logout", "admin:logout"}
# About 30 s on the 2-core development machine under load; the bound catches a slowdown.
MAX_SWEEP_SECONDS = 90


@pytest.fixture(scope="module")
def table():
    return load_table()


@pytest.fixture(scope="module")
def sweep(world, table):
    result = run_sweep(world, table=table)
    out = os.environ.get("VPSELECT_ACCESS_MATRIX_OUT")
    if out:
        Path(out).write_text(observed_table(result, table))
    figures = ARTIFACTS / "security"
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "access-matrix.json").write_text(
        json.dumps(
            {
                "url_patterns": len({probe.key for probe in result.probes}),
                "requests": len(result.probes),
                "seconds": round(result.seconds, 1),
                "log_lines_checked": len(result.logs),
                "page_urls_checked": sum(len(probe.urls_in_page) for probe in result.probes),
            },
            indent=2,
        )
    )
    return result


def _mismatches(probes) -> list[str]:
    return [
        f"{probe.label}: got {probe.outcome}, table says {probe.expected}"
        for probe in probes
        if probe.expected != probe.outcome
    ]


# --- The table itself ---------------------------------------------------------------------------


def test_every_url_pattern_has_an_entry_in_the_access_table(table):
    missing = [pattern.key for pattern in url_patterns() if table_entry(table, pattern.key) is None]
    assert missing == [], "Add these URL patterns to tests/security/access_matrix.yaml"


def test_every_table_entry_matches_a_url_pattern_and_names_every_role(table):
    keys = [pattern.key for pattern in url_patterns()]
    used = {table_entry(table, key)[0] for key in keys if table_entry(table, key)}
    assert sorted(set(table) - used) == []
    for key, entry in table.items():
        rows = [entry, *(entry.get("also") or {}).values()]
        for row in rows:
            for method in ("GET", "POST"):
                assert sorted(row[method]) == sorted(ROLES), f"{key} {method}"


def test_the_table_answers_404_for_another_physicians_objects(table):
    """A physician never reaches someone else's object, and is never told it exists (no 403)."""
    problems = []
    for key, entry in table.items():
        rows = [(entry.get("object"), entry), *(entry.get("also") or {}).items()]
        for kind, row in rows:
            if kind not in BUNDLE_KINDS and kind != "notification":
                continue
            for method in ("GET", "POST"):
                for role in PHYSICIANS:
                    value = row[method][role]
                    other = value[1] if isinstance(value, list) else value
                    if other not in REFUSALS or (isinstance(value, list) and other != 404):
                        problems.append(f"{key} ({kind}) {method} {role}: {value}")
    assert not problems, "\n".join(problems)


# --- The sweep ----------------------------------------------------------------------------------


def test_every_url_answers_every_role_as_the_access_table_says(sweep):
    assert sweep.missing == []
    mismatches = _mismatches(sweep.probes)
    assert not mismatches, "\n".join(mismatches)


def test_the_whole_matrix_runs_in_well_under_a_minute(sweep):
    assert len(sweep.probes) > 2000
    assert sweep.seconds < MAX_SWEEP_SECONDS, f"{len(sweep.probes)} requests: {sweep.seconds:.1f} s"


def test_no_answer_is_a_server_error(sweep):
    assert [probe.label for probe in sweep.probes if probe.status >= 500] == []


# --- Headers ------------------------------------------------------------------------------------


def _directive(csp: str, name: str) -> str:
    return next((part.strip() for part in csp.split(";") if part.strip().startswith(name)), "")


def test_every_answer_carries_csp_without_inline_or_eval_scripts_and_frame_denial(sweep):
    problems = []
    for probe in sweep.probes:
        headers = probe.headers
        csp = headers.get("Content-Security-Policy", "")
        script_src = _directive(csp, "script-src") or _directive(csp, "default-src")
        checks = {
            "CSP script-src": script_src.startswith(("script-src", "default-src"))
            and "'unsafe-inline'" not in script_src
            and "'unsafe-eval'" not in script_src,
            "frame-ancestors": "frame-ancestors 'none'" in csp,
            "X-Frame-Options": headers.get("X-Frame-Options") == "DENY",
            "nosniff": headers.get("X-Content-Type-Options") == "nosniff",
            "Referrer-Policy": headers.get("Referrer-Policy") == "same-origin",
        }
        problems += [f"{probe.label}: {name}" for name, ok in checks.items() if not ok]
    assert not problems, "\n".join(problems)


def test_every_answer_to_a_signed_in_user_says_no_store(sweep):
    problems = [
        f"{probe.label}: Cache-Control {probe.headers.get('Cache-Control')!r}"
        for probe in sweep.probes
        if probe.role != "anonymous"
        and not (probe.key in SIGN_OUT and probe.method == "POST")  # signed out by then
        and "no-store" not in (probe.headers.get("Cache-Control") or "")
    ]
    assert not problems, "\n".join(problems)


# --- No PHI in logs or links --------------------------------------------------------------------


def _canaries_in(text: str) -> list[str]:
    lowered = text.lower()
    return [canary for canary in CANARIES if canary.lower() in lowered]


def test_the_canary_patient_is_shown_in_pages_so_the_leak_checks_can_fail(sweep):
    """The canary patient's detail page is part of the sweep: the checks below look at output
    produced while its name and MRN were on the screen."""
    shown = [
        probe
        for probe in sweep.probes
        if probe.key == "patients:patient-detail" and probe.role == "physician_a"
    ]
    assert shown and shown[0].status == 200
    assert len(sweep.logs) > 100  # the capture works: the sweep logs plenty, none of it PHI


def test_no_log_line_or_stderr_output_of_any_page_carries_patient_data(sweep):
    leaked = [line for line in sweep.logs if _canaries_in(line)]
    assert not leaked, "\n".join(leaked)
    assert _canaries_in(sweep.stderr) == []


def test_no_link_form_action_htmx_url_or_redirect_carries_patient_data(sweep):
    leaked = []
    for probe in sweep.probes:
        urls = [*probe.urls_in_page, probe.headers.get("Location") or "", probe.url]
        leaked += [f"{probe.label}: {url}" for url in urls if _canaries_in(url)]
    assert sum(len(probe.urls_in_page) for probe in sweep.probes) > 1000
    assert not leaked, "\n".join(leaked)


def test_no_download_file_name_carries_patient_data(sweep):
    names = [probe.headers.get("Content-Disposition") or "" for probe in sweep.probes]
    assert any(names)
    assert [name for name in names if _canaries_in(name)] == []


# --- Audit ----------------------------------------------------------------------------------------


_AUTH = {AuditEvent.Action.LOGIN, AuditEvent.Action.LOGOUT, AuditEvent.Action.LOGIN_FAILED}


def _request_events(probe) -> list[dict]:
    """The request's own event (not sign-in events, nor the record versions it wrote)."""
    return [
        event
        for event in probe.audit_events
        if event["action"] not in _AUTH and "history_model" not in event["details"]
    ]


def test_every_signed_in_request_leaves_exactly_one_request_event(sweep):
    problems = [
        f"{probe.label}: {probe.audit_events}"
        for probe in sweep.probes
        if probe.role != "anonymous"
        and not (probe.key in SIGN_OUT and probe.method == "POST")  # a logout event instead
        and probe.key not in {"healthz", "readyz"}  # machines poll them; they show no data
        and len(_request_events(probe)) != 1
    ]
    assert not problems, "\n".join(problems)


def test_every_shown_or_changed_patient_record_is_audited_with_its_patient(sweep):
    """Each successful request on a patient's object leaves an event naming that patient."""
    problems = []
    for probe in sweep.probes:
        if probe.object_patient_id is None or not (200 <= probe.status < 400):
            continue
        if probe.outcome == "login":
            continue
        events = _request_events(probe)
        if not any(e["patient_id"] == probe.object_patient_id for e in events):
            problems.append(f"{probe.label}: {events}")
    assert not problems, "\n".join(problems)


def test_refusals_are_audited_as_denied(sweep):
    problems = [
        f"{probe.label}: {probe.audit_events}"
        for probe in sweep.probes
        if probe.role != "anonymous"
        and probe.status in (403, 404)
        and not any(e["outcome"] == AuditEvent.Outcome.DENIED for e in probe.audit_events)
    ]
    assert not problems, "\n".join(problems)


def test_downloads_and_exports_are_audited_as_such(sweep):
    actions = {
        "summaries:download": AuditEvent.Action.DOWNLOAD,
        "summaries:open": AuditEvent.Action.DOWNLOAD,
        "interop:referral-fhir": AuditEvent.Action.EXPORT,
        "outcomes:dashboard-csv": AuditEvent.Action.EXPORT,
        "audit:export": AuditEvent.Action.EXPORT,
        "summaries:mark-printed": AuditEvent.Action.PRINT,
    }
    problems = []
    for probe in sweep.probes:
        wanted = actions.get(probe.key)
        if wanted is None or not (200 <= probe.status < 300 or probe.status == 302):
            continue
        if probe.outcome == "login":
            continue
        if not any(e["action"] == wanted for e in _request_events(probe)):
            problems.append(f"{probe.label}: {probe.audit_events}")
    assert not problems, "\n".join(problems)


def test_patient_ids_in_the_trail_are_ids_not_names(sweep):
    text = repr([probe.audit_events for probe in sweep.probes])
    assert re.search(r"'patient_id': \d+", text)
    assert _canaries_in(text) == []


# --- CSRF ---------------------------------------------------------------------------------------

# Authenticated by a bearer token, never by the session cookie: nothing to forge.
CSRF_EXEMPT = {"interop:cds-discovery", "interop:cds-service", "interop:cds-feedback"}


def test_every_post_without_a_csrf_token_is_refused(world, table):
    """A forged cross-site form post is refused before any view runs, on every URL."""
    problems = []
    for pattern in url_patterns():
        if pattern.key in CSRF_EXEMPT:
            continue
        for role in ("physician_a", "superuser"):
            found = table_entry(table, pattern.key)
            kind = found[1].get("object") if found else None
            url = build_url(pattern, kind, world, role, "own")
            client = world.client(role, enforce_csrf_checks=True)
            response = client.post(url)
            if response.status_code != 403:
                problems.append(f"POST {pattern.key} as {role}: {response.status_code}")
    anonymous = world.client("anonymous", enforce_csrf_checks=True)
    login = anonymous.post("/accounts/login/", {"username": "sec-dr-a", "password": "x" * 12})
    assert login.status_code == 403
    assert not problems, "\n".join(problems)
