"""Every worked example of the shared clinical spec gives its expected result (no database)."""

import json

import pytest

from eligibility.engine import evaluate

from .builders import EXAMPLES_DIR, SHARED_HELP, TODAY

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.json"))


def test_shared_examples_are_there():
    # Fail, never skip: without them the spec's examples would silently go untested.
    if not EXAMPLES:
        pytest.fail(SHARED_HELP.format(path=EXAMPLES_DIR))
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example(path):
    example = json.loads(path.read_text(encoding="utf-8"))
    result = evaluate(example["case"], today=TODAY)
    expected = example["expected"]
    assert result["recommendation"] == expected["recommendation"]
    assert result["flagged"] is expected["flagged"]
    assert [level["level"] for level in result["levels"]] == [
        level["level"] for level in expected["levels"]
    ]
    for level, wanted in zip(result["levels"], expected["levels"], strict=True):
        assert level["recommendation"] == wanted["recommendation"], level["level"]
        met = sorted(f["rule"] for f in level["findings"] if f["status"] == "met")
        assert met == sorted(wanted["met"]), level["level"]
