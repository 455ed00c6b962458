"""Rules about the code itself, checked by reading it."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP_DIRS = [
    "accounts",
    "audit",
    "eligibility",
    "patients",
    "reviews",
    "summaries",
    "outcomes",
    "interop",
    "vpselect",
]
PATIENT_MODELS = {
    "Patient",
    "Referral",
    "TargetLevel",
    "Evaluation",
    "ReviewDecision",
    "AuditEvent",
}


def app_sources():
    for app in APP_DIRS:
        for path in sorted((REPO / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_bulk_update_or_bulk_create_on_patient_models_bypasses_history_and_audit():
    """`QuerySet.update()` / `bulk_create` skip save(), simple-history and the audit trail."""
    offenders = []
    for path in app_sources():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in {"update", "bulk_create", "bulk_update"}:
                continue
            chain = ast.unparse(node.func.value)
            if any(
                f"{model}.objects" in chain or f"{model}._default_manager" in chain
                for model in PATIENT_MODELS
            ):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_code_never_logs_with_print():
    offenders = []
    for path in app_sources():
        if "management" in path.parts:
            continue  # commands write to stdout on purpose
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
