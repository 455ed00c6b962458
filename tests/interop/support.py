"""Test data of the EHR connection tests: the shared clinical examples and the CDS Hooks
requests of fixtures/ (written from the CDS Hooks 2.0 spec's examples)."""

import json
from datetime import date
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "examples"
TOKEN = "test-cds-hooks-shared-secret-0123456789"  # noqa: S105 - test value


def example_case(name: str) -> dict:
    """The case of one of the shared clinical examples, e.g. "01-eligible-osteoporotic-L2"."""
    return json.loads((EXAMPLES / f"{name}.json").read_text())["case"]


def hook_request(name: str, *, today: date) -> dict:
    """A CDS Hooks request from fixtures/, its observations dated `today` (they are recent)."""
    body = json.loads((FIXTURES / name).read_text())
    for value in (body.get("prefetch") or {}).values():
        for entry in (value or {}).get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") == "Observation":
                resource["effectiveDateTime"] = today.isoformat()
    return body
