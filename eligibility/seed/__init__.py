"""The source document of the rules, shipped with the app (a test keeps it equal to the seed)."""

import functools
from pathlib import Path

SEED_PATH = Path(__file__).resolve().parent / "vertebroplasty.txt"


@functools.cache
def seed_text() -> str:
    """The seed document as written, for the evidence page."""
    return SEED_PATH.read_text(encoding="utf-8")
