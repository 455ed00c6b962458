"""How values are written in reasons and error messages."""

import json
import math


def number(value: float) -> str:
    """A number as it was entered: 7, 1.0, 20.5 (the shortest text that reads back exactly)."""
    if value.__class__ is int and -(10**15) < value < 10**15:
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, int) and value.bit_length() > 1000:
        # str() refuses ints of more than 4300 digits; nobody reads one anyway.
        return "an enormous number"
    return str(value)


def describe(value: object) -> str:
    """A received JSON value, as named after "got" in an error message."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else f"{value[:40]}…"
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a value of type {type(value).__name__}"


def sentence_start(text: str) -> str:
    """The text with its first letter capitalised (labels are written in lower case)."""
    return text[:1].upper() + text[1:]


def and_list(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
