"""Generated CDS Hooks bodies: whatever arrives, the service answers 200 with valid cards or
400 with an OperationOutcome, never 500."""

import copy
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interop.cds_models import HookResponse

from .support import hook_request

FUZZ = settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
DELETE = object()


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


SAMPLE = hook_request("order-select-review.json", today=timezone.localdate())
SAMPLE_PATHS = [path for path in _paths(SAMPLE) if path]


def _mutated(path: tuple, value) -> dict:
    body = copy.deepcopy(SAMPLE)
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return body


def _check(response) -> None:
    assert response.status_code in (200, 400), response.status_code
    body = response.json()
    if response.status_code == 200:
        HookResponse.model_validate(body)
    else:
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["details"]["text"]


@pytest.mark.django_db
@FUZZ
@given(body=JSON_VALUES)
def test_any_json_body_gets_cards_or_a_400(post_hook, body):
    _check(post_hook(json.dumps(body)))


@pytest.mark.django_db
@FUZZ
@given(
    path=st.sampled_from(SAMPLE_PATHS),
    value=st.just(DELETE) | JSON_VALUES,
)
def test_a_sample_request_with_any_part_replaced_gets_cards_or_a_400(post_hook, path, value):
    _check(post_hook(_mutated(path, value)))


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=200))
def test_any_bytes_get_a_400_or_cards(post_hook, body):
    _check(post_hook(body))
