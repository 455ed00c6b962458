"""Hand-written cases with their expected statuses and `missing`, stored as data (no database).

Each file in golden/ holds a case, the day of the evaluation, and the expected referral
recommendation, flag, `missing` paths, and every finding's status per level.
"""

import json
from datetime import date
from pathlib import Path

import pytest

from eligibility.engine import evaluate

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))


def test_golden_cases_are_there():
    assert len(GOLDEN) >= 10


@pytest.mark.parametrize("path", GOLDEN, ids=[path.stem for path in GOLDEN])
def test_golden_case(path):
    golden = json.loads(path.read_text(encoding="utf-8"))
    result = evaluate(golden["case"], today=date.fromisoformat(golden["today"]))
    expected = golden["expected"]
    assert result["recommendation"] == expected["recommendation"]
    assert result["flagged"] is expected["flagged"]
    assert result["missing"] == expected["missing"]
    assert [
        {
            "level": level["level"],
            "recommendation": level["recommendation"],
            "statuses": {f["rule"]: f["status"] for f in level["findings"]},
        }
        for level in result["levels"]
    ] == expected["levels"]
