"""The engine is pure Python: standard library only, no clock, no environment (no database)."""

import ast
import sys
from pathlib import Path

import pytest

import eligibility.engine

ENGINE_DIR = Path(eligibility.engine.__file__).parent
SOURCES = sorted(ENGINE_DIR.glob("*.py"))
# Standard-library modules that would let the engine read the clock or the outside world.
FORBIDDEN_STDLIB = {"os", "time", "random", "secrets", "socket", "subprocess", "zoneinfo"}


def imported_modules(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_engine_sources_are_found():
    assert len(SOURCES) >= 8


@pytest.mark.parametrize("path", SOURCES, ids=[path.name for path in SOURCES])
def test_engine_imports_only_the_standard_library(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module, level in imported_modules(tree):
        if level:  # a relative import stays inside the engine package
            continue
        top = module.split(".")[0]
        assert top in sys.stdlib_module_names, f"{path.name} imports {module}"
        assert top not in FORBIDDEN_STDLIB, f"{path.name} imports {module}"


@pytest.mark.parametrize("path", SOURCES, ids=[path.name for path in SOURCES])
def test_engine_never_reads_the_clock(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"today", "now", "utcnow", "localdate", "environ"}, (
                f"{path.name}:{node.lineno} reads .{node.attr}"
            )


def test_importing_the_engine_loads_no_framework():
    import subprocess

    code = (
        "import sys, eligibility.engine; "
        "bad = [m for m in ('django', 'celery', 'psycopg2', 'redis') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ENGINE_DIR.parents[1],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ENGINE_DIR.parents[1])},
    )
    assert done.returncode == 0, done.stdout + done.stderr
