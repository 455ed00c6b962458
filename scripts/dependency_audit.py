"""Check the pinned requirements for known vulnerabilities with pip-audit, and say plainly
what could not be checked.

pip-audit reports "No known vulnerabilities found" even when it skipped every package (a
mirror that is not PyPI, no route to the vulnerability database). This wrapper counts what
was really audited: vulnerabilities fail (exit 1); packages that could not be checked are
listed and pass, with a loud NOT CHECKED, unless --strict (exit 3). `make lint` runs it.

    python scripts/dependency_audit.py [--strict] [requirements files...]
"""

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
EXIT_VULNERABLE = 1
EXIT_NOT_CHECKED = 3


@dataclass
class Verdict:
    audited: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    vulnerable: dict[str, list[str]] = field(default_factory=dict)
    unreachable: str = ""

    def lines(self) -> list[str]:
        if self.unreachable:
            return [
                "pip-audit NOT CHECKED: pip-audit could not run or reach the vulnerability "
                f"database ({self.unreachable}). No dependency was checked."
            ]
        lines = [
            f"pip-audit: {name} {', '.join(ids)}" for name, ids in sorted(self.vulnerable.items())
        ]
        if self.skipped:
            lines.append(
                f"pip-audit NOT CHECKED: {len(self.skipped)} of "
                f"{len(self.skipped) + len(self.audited)} packages could not be audited "
                f"(e.g. {next(iter(self.skipped.values()))})."
            )
        if self.audited and not self.vulnerable:
            lines.append(f"pip-audit: no known vulnerabilities in {len(self.audited)} packages.")
        return lines

    def exit_code(self, *, strict: bool) -> int:
        if self.vulnerable:
            return EXIT_VULNERABLE
        if (self.unreachable or self.skipped) and strict:
            return EXIT_NOT_CHECKED
        return 0


def verdict_of(returncode: int, stdout: str, stderr: str) -> Verdict:
    """What a pip-audit run (JSON format) found, checked, skipped or could not do."""
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        last = (stderr.strip().splitlines() or [f"pip-audit exited {returncode}"])[-1]
        return Verdict(unreachable=last[-200:])
    verdict = Verdict()
    for dependency in report.get("dependencies", []):
        name = dependency["name"]
        if "skip_reason" in dependency:
            verdict.skipped[name] = dependency["skip_reason"]
            continue
        verdict.audited.append(name)
        ids = [vuln["id"] for vuln in dependency.get("vulns", [])]
        if ids:
            verdict.vulnerable[name] = ids
    return verdict


def run_pip_audit(requirements: list[str]) -> Verdict:
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"]
    command += ["--no-deps", "--disable-pip", "--timeout", "10"]
    for path in requirements:
        command += ["-r", path]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command, cwd=REPO, capture_output=True, text=True, timeout=180
        )
    except subprocess.TimeoutExpired:
        return Verdict(unreachable="pip-audit took longer than 180 s")
    return verdict_of(done.returncode, done.stdout, done.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail when anything is unchecked")
    parser.add_argument("requirements", nargs="*", default=list(DEFAULT_REQUIREMENTS))
    arguments = parser.parse_args(argv)
    verdict = run_pip_audit(arguments.requirements)
    for line in verdict.lines():
        print(line)
    return verdict.exit_code(strict=arguments.strict)


if __name__ == "__main__":
    sys.exit(main())
