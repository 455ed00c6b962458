"""POST /api/evaluate: the engine's result for logged-in users, JSON errors otherwise."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from eligibility.api import AUTHENTICATION_REQUIRED, MAX_CASE_BYTES
from eligibility.conf import get_thresholds
from eligibility.engine import evaluate, result_to_json
from eligibility.engine.validation import LONE_SURROGATE
from eligibility.models import Evaluation

from .engine.builders import make_case, make_level_case

pytestmark = pytest.mark.django_db
URL = "/api/evaluate"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        username="dr-engine", password="a-long-test-password"
    )


@pytest.fixture
def api(client, user):
    client.force_login(user)
    return client


def post(client, body, content_type: str = "application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type=content_type)


def errors(response) -> list[dict]:
    assert response["Content-Type"] == "application/json"
    return response.json()["errors"]


def test_url_is_named():
    assert reverse("eligibility:api-evaluate") == URL


def test_returns_the_same_json_as_the_engine(api):
    case = make_case(levels=[{"level": "L1"}, {"level": "L2", "canal_compromise_pct": 35}])
    response = post(api, case)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    expected = evaluate(case, today=timezone.localdate(), thresholds=get_thresholds())
    assert response.content == result_to_json(expected).encode()
    assert response.json()["flagged"] is True
    assert not Evaluation.objects.exists()  # evaluating is not storing


def test_anonymous_gets_401_json_not_a_redirect(client):
    response = post(client, make_case())
    assert response.status_code == 401
    assert errors(response) == [{"field": "", "message": AUTHENTICATION_REQUIRED}]


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(api, method):
    response = getattr(api, method)(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert errors(response)[0]["field"] == ""


def test_get_is_405_for_anonymous_too(client):
    assert client.get(URL).status_code == 405


def test_validation_errors_are_400_with_every_field(api):
    case = make_case(coagulopathy="true", inr=-1, levels=[{"level": "L1", "pain_nrs": 7.5}])
    response = post(api, case)
    assert response.status_code == 400
    assert errors(response) == [
        {
            "field": "coagulopathy",
            "message": 'Coagulopathy must be true, false or null; got "true".',
        },
        {"field": "inr", "message": "INR must be a number greater than 0; got -1."},
        {
            "field": "levels[0].pain_nrs",
            "message": "Pain NRS must be a whole number from 0 to 10; got 7.5.",
        },
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param(
            make_level_case(fracture="no"),
            "levels[0].fracture",
            'Fracture status must be true, false or null; got "no".',
            id="string_boolean",
        ),
        pytest.param(
            make_level_case(canal_compromise_pct=120),
            "levels[0].canal_compromise_pct",
            "Canal compromise must be a number from 0 to 100 (percent); got 120.",
            id="out_of_range",
        ),
        pytest.param(
            make_case(platelets="many"),
            "platelets",
            'Platelet count must be a number of at least 0 (×10⁹/L); got "many".',
            id="string_number",
        ),
        pytest.param(
            {"levels": []}, "levels", "At least one target level is required.", id="no_level"
        ),
        pytest.param('{"levels": [', "", None, id="malformed_json"),
        pytest.param(
            '"a case"', "", 'The case must be a JSON object; got "a case".', id="non_object_json"
        ),
        pytest.param("[]", "", "The case must be a JSON object; got a list.", id="json_array"),
        pytest.param(
            "  ",
            "",
            "The case is not valid JSON: Expecting value at line 1, column 3.",
            id="blank_body",
        ),
        pytest.param(b"\xff", "", "The case is not UTF-8 text.", id="not_utf8"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, body, field, message):
    response = post(api, body)
    assert response.status_code == 400
    [error] = errors(response)
    assert error["field"] == field
    if message:
        assert error["message"] == message
    else:
        assert error["message"].startswith("The case is not valid JSON: ")


def test_a_one_megabyte_payload_is_413(api):
    body = json.dumps({"levels": [{"level": "L1"}], "notes": "x" * 1_000_000})
    response = post(api, body)
    assert response.status_code == 413
    assert errors(response) == [
        {"field": "", "message": f"The case is larger than {MAX_CASE_BYTES // 1024} KiB."}
    ]


def test_a_case_just_under_the_limit_is_evaluated(api):
    case = make_case()
    padding = MAX_CASE_BYTES - len(json.dumps(case))
    body = json.dumps(case)[:-1] + " " * padding + "}"
    assert len(body) == MAX_CASE_BYTES
    assert post(api, body).status_code == 200


def test_other_content_types_are_415(api):
    response = post(api, "levels=L1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert errors(response)[0]["message"] == "Send the case as application/json."


def test_csrf_protection_stays_on(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert post(client, make_case()).status_code == 403
    client.get("/")  # any page sets the CSRF cookie for a logged-in user
    token = client.cookies.get("csrftoken")
    if token is None:
        pytest.skip("no page of the site sets the CSRF cookie yet")
    response = client.post(
        URL,
        data=json.dumps(make_case()),
        content_type="application/json",
        headers={"X-CSRFToken": token.value},
    )
    assert response.status_code == 200


def test_thresholds_come_from_settings(api, settings):
    case = make_level_case(pain_nrs=6)
    assert post(api, case).json()["recommendation"] == "not_eligible"
    settings.VPSELECT_THRESHOLDS = {"SEVERE_PAIN_NRS": 6}
    result = post(api, case).json()
    assert result["recommendation"] == "eligible"
    assert (
        result["ruleset_version"]
        == evaluate(case, today=timezone.localdate(), thresholds=get_thresholds())[
            "ruleset_version"
        ]
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"\\ud800": 1}', "\\ud800"),
        ('{"levels": [{"level": "L2\\udfff"}]}', "levels[0].level"),
        ('{"allergies": ["latex", "\\ud83d"]}', "allergies[1]"),
    ],
)
def test_a_lone_surrogate_is_refused_with_400_naming_the_field(api, body, field):
    response = post(api, body)
    assert response.status_code == 400
    assert errors(response) == [{"field": field, "message": LONE_SURROGATE}]


def test_a_paired_surrogate_escape_is_an_ordinary_character():
    from eligibility.engine import parse_case_json

    assert parse_case_json('{"note": "\\ud83d\\ude00"}') == {"note": "\U0001f600"}


def test_an_anonymous_post_gets_401_json_even_with_csrf_checks_on():
    client = Client(enforce_csrf_checks=True)
    response = post(client, make_case())
    assert response.status_code == 401
    assert errors(response)[0]["message"] == AUTHENTICATION_REQUIRED


def test_a_logged_in_post_without_the_csrf_token_gets_403_json(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post(client, make_case())
    assert response.status_code == 403
    assert "X-CSRFToken" in errors(response)[0]["message"]


@pytest.mark.parametrize(
    "path", ["/api/referrals/abc/fhir", "/api/nothing-here", "/api/evaluate/extra"]
)
def test_unknown_api_paths_answer_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert errors(response)[0]["message"] == "Not found."
