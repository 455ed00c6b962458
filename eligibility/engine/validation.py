"""Checking a case against case.schema.json and the spec's semantic checks.

Hand-written rather than a schema library: it is fast, collects every error in a stable
order (each object's fields in the schema's order, then its unknown keys in document order),
and says what is wrong in words a physician understands, naming the field by its path.
"""

import difflib
import json
import math
import re
from datetime import date, datetime
from typing import Any, NamedTuple

from .facts import (
    ALLERGENS,
    CASE_FIELDS,
    ETIOLOGIES,
    INPUT_LABELS,
    LEVEL_FIELDS,
    LEVEL_LABELS,
    PATIENT_FIELDS,
    RADICULAR_CAUSES,
    SEXES,
    CaseFacts,
    LevelFacts,
)
from .wording import describe, sentence_start


class FieldError(NamedTuple):
    """One problem with a case: the field's path (empty for the whole case) and a sentence."""

    field: str
    message: str


class CaseValidationError(ValueError):
    """The case is not valid; `errors` lists every problem found, in a stable order."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "; ".join(
            f"{error.field}: {error.message}" if error.field else error.message
            for error in self.errors
        )


_ABSENT = object()
_DATE_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CASE_KEYS = frozenset(CASE_FIELDS)
_LEVEL_KEYS = frozenset(LEVEL_FIELDS)
_PATIENT_KEYS = frozenset(PATIENT_FIELDS)
_SEX_SET = frozenset(SEXES)
_ETIOLOGY_SET = frozenset(ETIOLOGIES)
_ALLERGEN_SET = frozenset(ALLERGENS)
_CAUSE_SET = frozenset(RADICULAR_CAUSES)
_LABEL_SET = frozenset(LEVEL_LABELS)
_LEVEL_RANGES = "C1–C7, T1–T12, L1–L5 or S1–S5"
_CASE_BOOLEANS = (
    "pain_controlled_by_medical_therapy",
    "coagulopathy",
    "coagulopathy_corrected",
    "systemic_infection",
    "local_infection",
    "radicular_pain",
)
_LEVEL_BOOLEANS = (
    "fracture",
    "imaging_acute",
    "high_fracture_risk",
    "osteomyelitis",
    "epidural_extension",
)


def _label(name: str) -> str:
    return sentence_start(INPUT_LABELS[name])


def _one_of(options: tuple[str, ...]) -> str:
    return ", ".join(options)


def _is_number(value: object) -> bool:
    """A JSON number: int or float but not bool, and finite."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown_keys(
    data: dict[str, object],
    known: frozenset[str],
    fields: tuple[str, ...],
    prefix: str,
    errors: list[FieldError],
) -> None:
    for key in data:
        if key in known:
            continue
        message = f"Unknown field '{key}'."
        if isinstance(key, str):
            close = difflib.get_close_matches(key, fields, n=1, cutoff=0.75)
            if close:
                message = f"Unknown field '{key}'. Did you mean '{close[0]}'?"
        errors.append(FieldError(f"{prefix}{key}", message))


def _date(value: object, path: str, label: str, errors: list[FieldError]) -> date | None:
    if isinstance(value, str) and len(value) == 10 and _DATE_FORMAT.fullmatch(value):
        try:
            return date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            errors.append(FieldError(path, f"{label} {value} is not a real calendar date."))
            return None
    errors.append(
        FieldError(path, f"{label} must be a date written YYYY-MM-DD; got {describe(value)}.")
    )
    return None


def _not_after(
    when: date | None, reference: date | None, reference_text: str, path: str, label: str
) -> FieldError | None:
    if when is None or reference is None or when <= reference:
        return None
    return FieldError(path, f"{label} {when.isoformat()} is after {reference_text}.")


def _choice(
    value: object,
    options: frozenset[str],
    listed: tuple[str, ...],
    path: str,
    label: str,
    errors: list[FieldError],
) -> str | None:
    if isinstance(value, str) and value in options:
        return value
    errors.append(
        FieldError(
            path, f"{label} must be one of {_one_of(listed)} or null; got {describe(value)}."
        )
    )
    return None


def validate_case(data: object, *, today: date) -> CaseFacts:
    """The case's typed facts, or CaseValidationError listing every problem found.

    `today` stands in for an absent `assessed_on` and bounds the dates when it is absent.
    """
    if not isinstance(today, date) or isinstance(today, datetime):
        raise TypeError(f"today must be a datetime.date, not {type(today).__name__}.")
    if not isinstance(data, dict):
        raise CaseValidationError(
            [FieldError("", f"The case must be a JSON object; got {describe(data)}.")]
        )
    errors: list[FieldError] = []
    get = data.get

    # The reference date: fracture age is counted to it and no date may be after it.
    assessed_on: date | None = today
    reference_text = f"today, {today.isoformat()}"
    value = get("assessed_on")
    if value is not None:
        assessed_on = _date(value, "assessed_on", "Assessment date", errors)
        if assessed_on is not None:
            reference_text = f"the assessment date {assessed_on.isoformat()}"

    sex = date_of_birth = None
    patient = get("patient", _ABSENT)
    if patient is not _ABSENT:
        if not isinstance(patient, dict):
            errors.append(
                FieldError(
                    "patient",
                    "Patient must be an object with sex and date_of_birth, or left out; "
                    f"got {describe(patient)}.",
                )
            )
        else:
            value = patient.get("sex")
            if value is not None:
                sex = _choice(value, _SEX_SET, SEXES, "patient.sex", "Sex", errors)
            value = patient.get("date_of_birth")
            if value is not None:
                date_of_birth = _date(value, "patient.date_of_birth", "Date of birth", errors)
                error = _not_after(
                    date_of_birth,
                    assessed_on,
                    reference_text,
                    "patient.date_of_birth",
                    "Date of birth",
                )
                if error:
                    errors.append(error)
                    date_of_birth = None
            if not _PATIENT_KEYS.issuperset(patient):
                _unknown_keys(patient, _PATIENT_KEYS, PATIENT_FIELDS, "patient.", errors)

    booleans: dict[str, bool | None] = {}
    for name in _CASE_BOOLEANS:
        value = get(name)
        if value is None or value is True or value is False:
            booleans[name] = value
        else:
            booleans[name] = None
            errors.append(
                FieldError(
                    name,
                    f"{_label(name)} must be true, false or null; got {describe(value)}.",
                )
            )

    inr = get("inr")
    if inr is not None and not (_is_number(inr) and inr > 0):
        errors.append(
            FieldError("inr", f"INR must be a number greater than 0; got {describe(inr)}.")
        )
        inr = None
    platelets = get("platelets")
    if platelets is not None and not (_is_number(platelets) and platelets >= 0):
        errors.append(
            FieldError(
                "platelets",
                "Platelet count must be a number of at least 0 (×10⁹/L); "
                f"got {describe(platelets)}.",
            )
        )
        platelets = None

    allergies: tuple[str, ...] | None = None
    value = get("allergies")
    if value is not None:
        allergies = _allergies(value, errors)

    radicular_cause = get("radicular_cause")
    if radicular_cause is not None:
        radicular_cause = _choice(
            radicular_cause,
            _CAUSE_SET,
            RADICULAR_CAUSES,
            "radicular_cause",
            "Cause of the radicular pain",
            errors,
        )

    levels = _levels(get("levels", _ABSENT), assessed_on, reference_text, errors)

    if not _CASE_KEYS.issuperset(data):
        _unknown_keys(data, _CASE_KEYS, CASE_FIELDS, "", errors)
    if errors or assessed_on is None:
        raise CaseValidationError(errors)
    return CaseFacts(
        assessed_on=assessed_on,
        levels=levels,
        sex=sex,
        date_of_birth=date_of_birth,
        inr=inr,
        platelets=platelets,
        allergies=allergies,
        radicular_cause=radicular_cause,
        **booleans,
    )


def _allergies(value: object, errors: list[FieldError]) -> tuple[str, ...] | None:
    if not isinstance(value, list | tuple):
        errors.append(
            FieldError(
                "allergies",
                "Allergies must be a list (empty when none are known) or null; "
                f"got {describe(value)}.",
            )
        )
        return None
    seen: list[str] = []
    for item in value:
        if not (isinstance(item, str) and item in _ALLERGEN_SET):
            errors.append(
                FieldError(
                    "allergies",
                    f"Each allergy must be one of {_one_of(ALLERGENS)}; got {describe(item)}.",
                )
            )
        elif item in seen:
            errors.append(
                FieldError("allergies", f"Allergy {describe(item)} is listed more than once.")
            )
        else:
            seen.append(item)
    return tuple(seen)


def _levels(
    value: object, assessed_on: date | None, reference_text: str, errors: list[FieldError]
) -> tuple[LevelFacts, ...]:
    if value is _ABSENT or (isinstance(value, list | tuple) and not value):
        errors.append(FieldError("levels", "At least one target level is required."))
        return ()
    if not isinstance(value, list | tuple):
        errors.append(
            FieldError(
                "levels",
                f"Target levels must be a list of at least one level; got {describe(value)}.",
            )
        )
        return ()
    levels = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(value):
        prefix = f"levels[{index}]."
        if not isinstance(raw, dict):
            errors.append(
                FieldError(
                    f"levels[{index}]",
                    f"Each target level must be an object; got {describe(raw)}.",
                )
            )
            continue
        level = _level(raw, prefix, index, first_index, assessed_on, reference_text, errors)
        if level is not None:
            levels.append(level)
    return tuple(levels)


def _level(
    raw: dict[str, Any],
    prefix: str,
    index: int,
    first_index: dict[str, int],
    assessed_on: date | None,
    reference_text: str,
    errors: list[FieldError],
) -> LevelFacts | None:
    found = len(errors)
    get = raw.get
    label = get("level")
    if label is None:
        errors.append(
            FieldError(f"{prefix}level", f"The level is required: one of {_LEVEL_RANGES}.")
        )
    elif not (isinstance(label, str) and label in _LABEL_SET):
        errors.append(
            FieldError(
                f"{prefix}level",
                f"Level must be one of {_LEVEL_RANGES}; got {describe(label)}.",
            )
        )
        label = None
    elif label in first_index:
        errors.append(
            FieldError(
                f"{prefix}level",
                f"Level {label} is listed twice (also levels[{first_index[label]}]).",
            )
        )
    else:
        first_index[label] = index

    etiology = get("etiology")
    if etiology is not None:
        etiology = _choice(
            etiology, _ETIOLOGY_SET, ETIOLOGIES, f"{prefix}etiology", "Etiology", errors
        )

    pain_nrs = get("pain_nrs")
    if pain_nrs is not None:
        if _is_number(pain_nrs) and 0 <= pain_nrs <= 10 and pain_nrs == int(pain_nrs):
            pain_nrs = int(pain_nrs)
        else:
            errors.append(
                FieldError(
                    f"{prefix}pain_nrs",
                    f"Pain NRS must be a whole number from 0 to 10; got {describe(pain_nrs)}.",
                )
            )
            pain_nrs = None

    fracture_date = get("fracture_date")
    if fracture_date is not None:
        path = f"{prefix}fracture_date"
        fracture_date = _date(fracture_date, path, "Fracture date", errors)
        error = _not_after(fracture_date, assessed_on, reference_text, path, "Fracture date")
        if error:
            errors.append(error)

    canal = get("canal_compromise_pct")
    if canal is not None and not (_is_number(canal) and 0 <= canal <= 100):
        errors.append(
            FieldError(
                f"{prefix}canal_compromise_pct",
                "Canal compromise must be a number from 0 to 100 (percent); "
                f"got {describe(canal)}.",
            )
        )

    booleans = {}
    for name in _LEVEL_BOOLEANS:
        value = get(name)
        if value is None or value is True or value is False:
            booleans[name] = value
        else:
            errors.append(
                FieldError(
                    f"{prefix}{name}",
                    f"{_label('levels[].' + name)} must be true, false or null; "
                    f"got {describe(value)}.",
                )
            )

    if not _LEVEL_KEYS.issuperset(raw):
        _unknown_keys(raw, _LEVEL_KEYS, LEVEL_FIELDS, prefix, errors)
    if len(errors) > found or label is None:
        return None
    return LevelFacts(
        level=label,
        etiology=etiology,
        pain_nrs=pain_nrs,
        fracture_date=fracture_date,
        canal_compromise_pct=canal,
        **booleans,
    )


def parse_case_json(text: str | bytes) -> object:
    """The JSON document in `text`, or CaseValidationError saying why it is not JSON.

    Refuses an object with a repeated key (the later value would silently win).
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        document = json.loads(text, object_pairs_hook=_no_repeated_keys)
    except UnicodeDecodeError:
        message = "The case is not UTF-8 text."
    except json.JSONDecodeError as exc:
        message = f"The case is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
    except _RepeatedKey as exc:
        message = f"The case repeats the field '{_printable(exc.args[0])}' within one object."
    except (ValueError, RecursionError) as exc:
        message = f"The case cannot be read as JSON: {exc}."
    else:
        if (field := _lone_surrogate_at(document, "")) is not None:
            raise CaseValidationError([FieldError(field, LONE_SURROGATE)])
        return document
    raise CaseValidationError([FieldError("", message)])


LONE_SURROGATE = (
    "The text contains an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not a character."
)


def _printable(text: str) -> str:
    """The text with unpaired surrogates written as escapes, so it can be sent back as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _lone_surrogate_at(value: object, path: str) -> str | None:
    """The path of the first key or string holding an unpaired surrogate, or None.

    JSON's \\u escapes can spell one (`"\\ud800"`), and such a string cannot be encoded to
    UTF-8: answering or storing it would fail, so the case is refused instead.
    """
    if isinstance(value, str):
        return path if _has_lone_surrogate(value) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _lone_surrogate_at(item, f"{path}[{index}]")) is not None:
                return found
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{_printable(key)}" if path else _printable(key)
            if _has_lone_surrogate(key):
                return where
            if (found := _lone_surrogate_at(item, where)) is not None:
                return found
    return None


class _RepeatedKey(Exception):
    pass


def _no_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return result
