"""`manage.py evaluate`: JSON in, JSON out, exit status 2 and field errors on bad input.

Run as a real subprocess, as a clinician or a script would run it.
"""

import json
import os
import subprocess
import sys
from datetime import date

import pytest

from eligibility.engine import evaluate, explain_text, result_to_json

from .engine.builders import EXAMPLES_DIR, REPO, make_case, make_level_case


def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    return run_with_env({}, *args, stdin=stdin)


def run_with_env(
    extra: dict[str, str], *args: str, stdin: str | bytes | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "vpselect.settings.test")
    env.pop("VPSELECT_THRESHOLDS", None)
    env.update(extra)
    args = args or ("-",)
    return subprocess.run(
        [sys.executable, "manage.py", "evaluate", *args],
        cwd=REPO,
        env=env,
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        timeout=120,
    )


def expected_json(case: dict, *, pretty: bool = False) -> str:
    # The cases carry assessed_on, so the day the command runs does not change the result.
    return result_to_json(evaluate(case, today=date.today()), pretty=pretty) + "\n"  # noqa: DTZ011


@pytest.fixture
def case_file(tmp_path):
    def write(case, name: str = "case.json") -> str:
        path = tmp_path / name
        path.write_text(case if isinstance(case, str) else json.dumps(case), encoding="utf-8")
        return str(path)

    return write


def test_prints_the_result_json_of_a_case_file(case_file):
    case = json.loads((EXAMPLES_DIR / "07-two-levels.json").read_text())["case"]
    done = run(case_file(case))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == expected_json(case)
    assert done.stderr == b""


def test_reads_the_case_from_standard_input():
    case = make_level_case(canal_compromise_pct=35)
    done = run("-", stdin=json.dumps(case))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == expected_json(case)
    assert json.loads(done.stdout)["recommendation"] == "review"


def test_pretty_prints_the_same_result():
    case = make_case(allergies=None)
    done = run("--pretty", "-", stdin=json.dumps(case))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == expected_json(case, pretty=True)


def test_explain_prints_the_findings_table():
    case = make_level_case(fracture_date="2024-05-01", imaging_acute=False)
    done = run("--explain", "-", stdin=json.dumps(case))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == explain_text(evaluate(case, today=date.today()))  # noqa: DTZ011
    assert "RCI-OLD-STABLE" in done.stdout.decode()


@pytest.mark.parametrize(
    ("stdin", "lines"),
    [
        pytest.param(
            '{"levels": [{"level": "L1", "fracture": "yes", "pain_nrs": 12}], "inr": "1.2"}',
            [
                'inr: INR must be a number greater than 0; got "1.2".',
                "levels[0].pain_nrs: Pain NRS must be a whole number from 0 to 10; got 12.",
                'levels[0].fracture: Fracture status must be true, false or null; got "yes".',
            ],
            id="wrong_types_and_out_of_range",
        ),
        pytest.param(
            json.dumps(make_case(coagulopathy="false", systemic_infection=0)),
            [
                'coagulopathy: Coagulopathy must be true, false or null; got "false".',
                "systemic_infection: Systemic infection must be true, false or null; got 0.",
            ],
            id="strings_and_numbers_for_booleans",
        ),
        pytest.param(
            '{"levels": [{"level": "L1"}',
            ["The case is not valid JSON: Expecting ',' delimiter at line 1, column 28."],
            id="malformed_json",
        ),
        pytest.param("[1, 2]", ["The case must be a JSON object; got a list."], id="not_an_object"),
        pytest.param(
            "",
            ["The case is not valid JSON: Expecting value at line 1, column 1."],
            id="empty_input",
        ),
        pytest.param(
            json.dumps({"levels": [{"level": "L1"}], "notes": "x" * 1_000_000}),
            ["notes: Unknown field 'notes'."],
            id="one_megabyte_payload",
        ),
    ],
)
def test_bad_input_exits_2_with_field_errors_and_no_output(stdin, lines):
    done = run("-", stdin=stdin)
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().splitlines() == lines
    assert b"Traceback" not in done.stderr


def test_unreadable_file_exits_2(tmp_path):
    done = run(str(tmp_path / "absent.json"))
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().strip() == (
        f"Cannot read {tmp_path / 'absent.json'}: No such file or directory."
    )


def test_non_utf8_file_exits_2(case_file, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"levels": [{"level": "L1", "etiology": "ostéoporose"}]}'.encode("latin-1"))
    done = run(str(path))
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "The case is not UTF-8 text."


def test_thresholds_come_from_the_settings():
    case = make_level_case(pain_nrs=6)
    env_case = json.dumps(case)
    assert json.loads(run("-", stdin=env_case).stdout)["recommendation"] == "not_eligible"
    done = run_with_env({"VPSELECT_THRESHOLDS": '{"SEVERE_PAIN_NRS": 6}'}, stdin=env_case)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["recommendation"] == "eligible"


def test_bad_threshold_settings_are_a_command_error_not_a_traceback():
    done = run_with_env({"VPSELECT_THRESHOLDS": '{"SEVERE_PAIN": 6}'}, stdin="{}")
    assert done.returncode == 1
    assert b"VPSELECT_THRESHOLDS is invalid: Unknown threshold 'SEVERE_PAIN'" in done.stderr
    assert b"Traceback" not in done.stderr
