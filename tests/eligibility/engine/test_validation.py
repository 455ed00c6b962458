"""Bad input is refused with field-named, readable errors; good input becomes typed facts."""

import json
import math
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from eligibility.engine import (
    CaseFacts,
    CaseValidationError,
    FieldError,
    LevelFacts,
    parse_case_json,
    validate_case,
)

from .builders import (
    ASSESSED_ON,
    BASE_CASE,
    SCHEMA_PATH,
    SHARED_HELP,
    TODAY,
    case_documents,
    make_case,
    make_level_case,
)


def errors_of(case) -> list[FieldError]:
    with pytest.raises(CaseValidationError) as caught:
        validate_case(case, today=TODAY)
    return caught.value.errors


def without(case: dict, key: str) -> dict:
    return {k: v for k, v in case.items() if k != key}


# (id, case, field, message)
BAD_CASES = [
    ("case_must_be_an_object", [BASE_CASE], "", "The case must be a JSON object; got a list."),
    (
        "levels_are_required",
        without(BASE_CASE, "levels"),
        "levels",
        "At least one target level is required.",
    ),
    (
        "levels_may_not_be_empty",
        make_case(levels=[]),
        "levels",
        "At least one target level is required.",
    ),
    (
        "levels_may_not_be_null",
        make_case(levels=None) | {"levels": None},
        "levels",
        "Target levels must be a list of at least one level; got null.",
    ),
    (
        "level_must_be_an_object",
        make_case() | {"levels": ["L1"]},
        "levels[0]",
        'Each target level must be an object; got "L1".',
    ),
    (
        "level_label_is_required",
        make_case() | {"levels": [{"etiology": "osteoporosis"}]},
        "levels[0].level",
        "The level is required: one of C1–C7, T1–T12, L1–L5 or S1–S5.",
    ),
    (
        "level_label_outside_the_spine",
        make_level_case(level="L6"),
        "levels[0].level",
        'Level must be one of C1–C7, T1–T12, L1–L5 or S1–S5; got "L6".',
    ),
    ("level_label_is_case_sensitive", make_level_case(level="l2"), "levels[0].level", 'got "l2"'),
    (
        "same_level_twice",
        make_case(levels=[{"level": "L1"}, {"level": "L1"}]),
        "levels[1].level",
        "Level L1 is listed twice (also levels[0]).",
    ),
    (
        "pain_above_10",
        make_level_case(pain_nrs=11),
        "levels[0].pain_nrs",
        "Pain NRS must be a whole number from 0 to 10; got 11.",
    ),
    ("pain_below_0", make_level_case(pain_nrs=-1), "levels[0].pain_nrs", "got -1."),
    (
        "pain_not_whole",
        make_level_case(pain_nrs=7.5),
        "levels[0].pain_nrs",
        "Pain NRS must be a whole number from 0 to 10; got 7.5.",
    ),
    ("pain_as_text", make_level_case(pain_nrs="7"), "levels[0].pain_nrs", 'got "7".'),
    ("pain_as_boolean", make_level_case(pain_nrs=True), "levels[0].pain_nrs", "got true."),
    ("pain_nan", make_level_case(pain_nrs=math.nan), "levels[0].pain_nrs", "got NaN."),
    (
        "canal_above_100",
        make_level_case(canal_compromise_pct=100.5),
        "levels[0].canal_compromise_pct",
        "Canal compromise must be a number from 0 to 100 (percent); got 100.5.",
    ),
    (
        "canal_negative",
        make_level_case(canal_compromise_pct=-3),
        "levels[0].canal_compromise_pct",
        "got -3.",
    ),
    (
        "canal_infinite",
        make_level_case(canal_compromise_pct=math.inf),
        "levels[0].canal_compromise_pct",
        "got Infinity.",
    ),
    ("inr_zero", make_case(inr=0), "inr", "INR must be a number greater than 0; got 0."),
    ("inr_negative", make_case(inr=-1.2), "inr", "got -1.2."),
    ("inr_nan", make_case(inr=math.nan), "inr", "got NaN."),
    ("inr_as_text", make_case(inr="1.2"), "inr", 'got "1.2".'),
    (
        "platelets_negative",
        make_case(platelets=-1),
        "platelets",
        "Platelet count must be a number of at least 0 (×10⁹/L); got -1.",
    ),
    ("platelets_infinite", make_case(platelets=-math.inf), "platelets", "got -Infinity."),
    ("platelets_as_boolean", make_case(platelets=False), "platelets", "got false."),
    (
        "date_not_on_the_calendar",
        make_level_case(fracture_date="2026-02-30"),
        "levels[0].fracture_date",
        "Fracture date 2026-02-30 is not a real calendar date.",
    ),
    (
        "date_with_trailing_characters",
        make_level_case(fracture_date="2026-02-03T00:00"),
        "levels[0].fracture_date",
        'Fracture date must be a date written YYYY-MM-DD; got "2026-02-03T00:00".',
    ),
    (
        "date_with_trailing_newline",
        make_case(assessed_on="2026-11-20\n"),
        "assessed_on",
        "Assessment date must be a date written YYYY-MM-DD",
    ),
    (
        "date_in_another_format",
        make_case(assessed_on="20/11/2026"),
        "assessed_on",
        'got "20/11/2026".',
    ),
    (
        "date_with_non_ascii_digits",
        make_case(assessed_on="２０２６-11-20"),
        "assessed_on",
        "YYYY-MM-DD",
    ),
    (
        "date_year_zero",
        make_case(assessed_on="0000-01-01"),
        "assessed_on",
        "Assessment date 0000-01-01 is not a real calendar date.",
    ),
    (
        "date_as_number",
        make_level_case(fracture_date=20260203),
        "levels[0].fracture_date",
        "got 20260203.",
    ),
    (
        "fracture_after_assessment",
        make_level_case(fracture_date="2026-11-21"),
        "levels[0].fracture_date",
        "Fracture date 2026-11-21 is after the assessment date 2026-11-20.",
    ),
    (
        "fracture_after_today_without_assessment_date",
        without(make_level_case(fracture_date="2026-11-25"), "assessed_on"),
        "levels[0].fracture_date",
        "Fracture date 2026-11-25 is after today, 2026-11-24.",
    ),
    (
        "birth_after_assessment",
        make_case(patient={"date_of_birth": "2026-12-01"}),
        "patient.date_of_birth",
        "Date of birth 2026-12-01 is after the assessment date 2026-11-20.",
    ),
    (
        "patient_may_not_be_null",
        make_case(patient=None),
        "patient",
        "Patient must be an object with sex and date_of_birth, or left out; got null.",
    ),
    (
        "unknown_sex",
        make_case(patient={"sex": "f"}),
        "patient.sex",
        'Sex must be one of female, male, other or null; got "f".',
    ),
    (
        "unknown_etiology",
        make_level_case(etiology="tumour"),
        "levels[0].etiology",
        "Etiology must be one of osteoporosis, metastasis, myeloma, hemangioma, traumatic, other "
        'or null; got "tumour".',
    ),
    (
        "unknown_allergy",
        make_case(allergies=["latex"]),
        "allergies",
        'Each allergy must be one of cement, contrast, anesthetic, other; got "latex".',
    ),
    (
        "repeated_allergy",
        make_case(allergies=["cement", "cement"]),
        "allergies",
        'Allergy "cement" is listed more than once.',
    ),
    (
        "allergies_as_text",
        make_case(allergies="cement"),
        "allergies",
        'Allergies must be a list (empty when none are known) or null; got "cement".',
    ),
    (
        "unknown_radicular_cause",
        make_case(radicular_cause="disc"),
        "radicular_cause",
        "Cause of the radicular pain must be one of vertebral_collapse, unrelated_compression or "
        'null; got "disc".',
    ),
    ("unknown_top_level_key", make_case(pain_nrs=8), "pain_nrs", "Unknown field 'pain_nrs'."),
    (
        "misspelt_level_key",
        make_level_case(pain_nr=8),
        "levels[0].pain_nr",
        "Unknown field 'pain_nr'. Did you mean 'pain_nrs'?",
    ),
    (
        "unknown_patient_key",
        make_case(patient={"name": "A. Patient"}),
        "patient.name",
        "Unknown field 'name'.",
    ),
    (
        "boolean_as_text",
        make_case(coagulopathy="false"),
        "coagulopathy",
        'Coagulopathy must be true, false or null; got "false".',
    ),
    (
        "boolean_as_zero",
        make_case(systemic_infection=0),
        "systemic_infection",
        "Systemic infection must be true, false or null; got 0.",
    ),
    (
        "boolean_as_one",
        make_level_case(fracture=1),
        "levels[0].fracture",
        "Fracture status must be true, false or null; got 1.",
    ),
    (
        "boolean_as_list",
        make_level_case(osteomyelitis=[]),
        "levels[0].osteomyelitis",
        "got a list.",
    ),
]


@pytest.mark.parametrize(
    ("case", "field", "message"), [pytest.param(*row[1:], id=row[0]) for row in BAD_CASES]
)
def test_bad_input_is_refused_naming_the_field(case, field, message):
    errors = errors_of(case)
    assert [error.field for error in errors] == [field]
    assert message in errors[0].message


@pytest.mark.parametrize("whole", [7, 7.0, 0, 10.0])
def test_whole_number_pain_scores_are_accepted(whole):
    facts = validate_case(make_level_case(pain_nrs=whole), today=TODAY)
    assert facts.levels[0].pain_nrs == int(whole)
    assert type(facts.levels[0].pain_nrs) is int


def test_every_error_is_reported_in_a_stable_order():
    case = make_case(
        coagulopathy="yes",
        inr=0,
        bogus=1,
        levels=[{"level": "L1", "pain_nrs": 12, "fracture": "no"}, {"level": "L1", "x": 1}],
    )
    fields = [error.field for error in errors_of(case)]
    assert fields == [
        "coagulopathy",
        "inr",
        "levels[0].pain_nrs",
        "levels[0].fracture",
        "levels[1].level",
        "levels[1].x",
        "bogus",
    ]
    assert fields == [error.field for error in errors_of(case)]


def test_error_text_names_each_field():
    error = CaseValidationError(
        [FieldError("levels[0].pain_nrs", "Bad."), FieldError("", "Not an object.")]
    )
    assert str(error) == "levels[0].pain_nrs: Bad.; Not an object."
    assert isinstance(error, ValueError)


def test_valid_case_becomes_typed_facts():
    facts = validate_case(BASE_CASE, today=TODAY)
    assert facts == CaseFacts(
        assessed_on=ASSESSED_ON,
        levels=(
            LevelFacts(
                level="L2",
                etiology="osteoporosis",
                pain_nrs=9,
                fracture=True,
                fracture_date=date(2026, 10, 2),
                imaging_acute=True,
                high_fracture_risk=None,
                osteomyelitis=False,
                canal_compromise_pct=5,
                epidural_extension=None,
            ),
        ),
        sex="female",
        date_of_birth=date(1946, 3, 14),
        pain_controlled_by_medical_therapy=False,
        coagulopathy=False,
        coagulopathy_corrected=None,
        inr=1.0,
        platelets=240,
        systemic_infection=False,
        local_infection=False,
        allergies=(),
        radicular_pain=False,
        radicular_cause=None,
    )


def test_absent_assessment_date_is_today_and_patient_may_be_left_out():
    facts = validate_case({"levels": [{"level": "S1"}]}, today=TODAY)
    assert facts.assessed_on == TODAY
    assert facts.sex is None and facts.date_of_birth is None
    assert validate_case(make_case(assessed_on=None), today=TODAY).assessed_on == TODAY


def test_dates_on_the_assessment_day_are_accepted():
    case = make_level_case(fracture_date="2026-11-20")
    case["patient"]["date_of_birth"] = "2026-11-20"
    assert validate_case(case, today=TODAY).levels[0].fracture_date == ASSESSED_ON


def test_today_must_be_a_date_not_a_datetime():
    with pytest.raises(TypeError):
        validate_case(BASE_CASE, today=datetime(2026, 11, 24, 12, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "The case is not valid JSON: Expecting property name enclosed in double quotes"),
        ("", "The case is not valid JSON: Expecting value at line 1, column 1."),
        (b"\xff\xfe", "The case is not UTF-8 text."),
        ('{"inr": 1, "inr": 2}', "The case repeats the field 'inr' within one object."),
        ("[" * 100_000 + "]" * 100_000, "The case cannot be read as JSON"),
    ],
    ids=["truncated", "empty", "not_utf8", "repeated_key", "too_deeply_nested"],
)
def test_unreadable_json_is_refused_as_a_whole(text, message):
    with pytest.raises(CaseValidationError) as caught:
        parse_case_json(text)
    [error] = caught.value.errors
    assert error.field == ""
    assert error.message.startswith(message)


def test_json_is_parsed_from_text_or_bytes():
    document = json.dumps(BASE_CASE)
    assert parse_case_json(document) == BASE_CASE
    assert parse_case_json(document.encode()) == BASE_CASE


# --- Cross-check with the JSON Schema itself ------------------------------------------------


def _schema_validator() -> Draft202012Validator:
    if not SCHEMA_PATH.exists():
        pytest.fail(SHARED_HELP.format(path=SCHEMA_PATH))
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 120),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            "yes",
            "true",
            "L1",
            "L6",
            "osteoporosis",
            "tumour",
            "cement",
            "cement ",
            "2026-02-30",
            "2026-11-20",
            "2027-01-01",
            "1946-03-14",
            "unrelated_compression",
            "female",
        ]
    ),
    st.lists(st.sampled_from(["cement", "contrast", "latex", 1]), max_size=3),
    st.just({}),
)


@st.composite
def damaged_documents(draw):
    """Valid cases with some values replaced by junk and some junk keys added."""
    case = draw(case_documents(max_levels=2))
    targets: list[tuple[dict, str]] = [(case, key) for key in case]
    for level in case["levels"]:
        targets += [(level, key) for key in level]
    if isinstance(case.get("patient"), dict):
        targets += [(case["patient"], key) for key in ("sex", "date_of_birth")]
    for index in draw(st.lists(st.integers(0, len(targets) - 1), max_size=3)):
        container, key = targets[index]
        container[key] = draw(JUNK)
    if draw(st.booleans()):
        case[draw(st.sampled_from(["extra", "pain_nrs", "Levels"]))] = draw(JUNK)
    return case


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_documents())
def test_whatever_the_json_schema_rejects_is_rejected(document):
    schema_valid = _schema_validator().is_valid(document)
    try:
        validate_case(document, today=TODAY)
    except CaseValidationError as exc:
        assert exc.errors
        return
    assert schema_valid, "validate_case accepted a case that breaks case.schema.json"


@settings(max_examples=100, deadline=None)
@given(case_documents())
def test_generated_valid_cases_satisfy_the_json_schema_and_the_validator(document):
    assert _schema_validator().is_valid(document)
    validate_case(document, today=TODAY)
