"""Rules about the code itself, checked by reading it."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP_DIRS = [
    "accounts",
    "audit",
    "eligibility",
    "governance",
    "patients",
    "reviews",
    "summaries",
    "outcomes",
    "interop",
    "vpselect",
]
# Models holding patient data whose writes must go through save() (simple-history versions
# and the audit trail). Not listed, on purpose: interop's CdsLaunch and CdsEvaluation are
# append-only snapshots of a CDS Hooks call, written once in bulk by `cds_advice_record` and
# recorded as a whole in the call's audit event (its ids in `details`); SummaryDocument rows
# hold a PDF's state (pending, superseded, printed), not patient answers, and are superseded
# in one statement inside the transaction that makes the new summary; notifications,
# reminders and outbox rows carry ids only.
PATIENT_MODELS = {
    "Patient",
    "Referral",
    "TargetLevel",
    "Evaluation",
    "ReviewDecision",
    "Countersignature",
    "Procedure",
    "TreatedLevel",
    "FollowUp",
    "PatientContact",
    "PatientReport",
    "AuditEvent",
}


def _model_name(chain: ast.expr) -> str | None:
    """The model a manager chain starts from: `Referral` of `Referral.objects.filter(...)`."""
    node = chain
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in ("objects", "_default_manager", "history") and isinstance(
                node.value, ast.Name
            ):
                return node.value.id
            node = node.value
        else:
            return None


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
            # The exact model name: `CdsEvaluation.objects` is not `Evaluation.objects`.
            if _model_name(node.func.value) in PATIENT_MODELS:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_the_bulk_write_scan_recognises_a_bulk_write_on_a_patient_model():
    """The scan above can fail: it finds the calls it is meant to find."""
    calls = [
        "Referral.objects.filter(pk=1).update(status='x')",
        "FollowUp.objects.filter(procedure=p).exclude(pk=1).update(status='done')",
        "Evaluation.objects.bulk_create(rows)",
    ]
    for source in calls:
        call = ast.parse(source).body[0].value
        assert _model_name(call.func.value) in PATIENT_MODELS, source
    harmless = ast.parse("CdsEvaluation.objects.bulk_create(rows)").body[0].value
    assert _model_name(harmless.func.value) not in PATIENT_MODELS


def test_code_never_logs_with_print():
    offenders = []
    for path in app_sources():
        if "management" in path.parts:
            continue  # commands write to stdout on purpose
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
