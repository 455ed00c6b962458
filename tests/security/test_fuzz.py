"""Hypothesis-generated input to every form the application renders and to the JSON API:
never a server error, and a refused request (4xx) writes nothing to any patient-data table.

Each form is found on its page (tests/security/forms.py) and filled field by field: mostly
with the values the page offers, sometimes with junk (wrong types, huge numbers, long and odd
text, other objects' ids, unknown fields). `make test` runs FAST_EXAMPLES per form; the slow
run (`make test-all`) adds FULL_EXAMPLES per form.
"""

import copy
import json
import uuid
from collections import Counter
from datetime import date

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ARTIFACTS
from tests.factories import ELIGIBLE_CASE
from tests.interop.support import hook_request

from .forms import Field, FormTarget, discover_forms
from .fuzz_support import patient_data_counts
from .sweep import load_table

pytestmark = pytest.mark.django_db

FAST_EXAMPLES = 25
FULL_EXAMPLES = 200
EXAMPLES = [
    pytest.param(FAST_EXAMPLES, id="fast"),
    pytest.param(FULL_EXAMPLES, id="full", marks=pytest.mark.slow),
]
CDS_TOKEN = "security-fuzz-cds-token-0123456789abcdef"  # noqa: S105 - test value
# Every form the pages offer, counted when this was written: fewer means a page lost its form
# or the discovery broke.
MIN_FORMS = 26

# --- Strategies ---------------------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "'; DROP TABLE patients_patient; --",
            "<script>alert(1)</script>",
            "{{ 7*7 }}",
            "../../etc/passwd",
            "%00",
            "NaN",
            "Infinity",
            "-0",
            "1e309",
            "9" * 40,
            "2026-02-30",
            "0000-00-00",
            "9999-12-31",
            "true",
            "null",
            "[]",
            "{}",
        ]
    ),
)
odd_number = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
any_date = st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
near_date = st.dates(date(1900, 1, 1), date(2030, 12, 31)).map(date.isoformat)
an_id = st.integers(-5, 10**6).map(str)
junk = st.one_of(odd_text, odd_number, any_date, an_id)


def _valid(field: Field):
    """Values the page itself would send for the field."""
    offered = [value for value in field.options if value is not None]
    if field.kind in ("select", "radio", "submit") and offered:
        return st.sampled_from(offered)
    if field.kind == "checkbox":
        return st.lists(st.sampled_from(offered or ["on"]), max_size=len(offered or [1]))
    if field.kind == "hidden":
        return st.just(field.value)
    if field.kind == "date":
        return st.one_of(st.just(""), near_date)
    if field.kind == "number":
        return st.one_of(
            st.just(""), st.integers(0, 120).map(str), st.decimals(0, 50, places=1).map(str)
        )
    if field.name.endswith("TOTAL_FORMS"):
        return st.just(field.value)
    return st.one_of(st.just(field.value), st.text(max_size=30))


def field_value(field: Field):
    """Mostly what the page offers, a quarter of the time junk (or several values)."""
    return st.one_of(_valid(field), _valid(field), _valid(field), junk, st.lists(junk, max_size=3))


@st.composite
def form_body(draw, target: FormTarget) -> dict:
    body = {}
    for name, field in target.fields.items():
        if name == "csrfmiddlewaretoken":
            continue
        if draw(st.integers(0, 19)) == 0:
            continue  # a field left out of the post
        body[name] = draw(field_value(field))
    for _ in range(draw(st.integers(0, 2))):
        body[draw(st.text(min_size=1, max_size=20))] = draw(junk)
    return body


@st.composite
def mutated(draw, base):
    """A valid JSON document with up to three of its values replaced, dropped or doubled."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(document))
        if not paths:
            break
        parent, key = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "drop", "nest"]))
        if action == "drop" and isinstance(parent, dict):
            parent.pop(key, None)
        elif action == "nest":
            parent[key] = [parent[key], parent[key]]
        else:
            parent[key] = draw(json_junk)
    return document


def _paths(node, parent=None, key=None):
    if parent is not None:
        yield parent, key
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from _paths(child, node, child_key)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, node, index)


json_junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        odd_text,
        near_date,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def as_bytes(document) -> bytes:
    return json.dumps(document, default=str).encode()


raw_junk = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    json_junk.map(as_bytes),
)

# --- Running ------------------------------------------------------------------------------------


class Tally:
    """Examples run and answers seen per target, for the figures of docs/security.md."""

    def __init__(self):
        self.examples: Counter = Counter()
        self.statuses: dict[str, Counter] = {}

    def add(self, label: str, status: int) -> None:
        self.examples[label] += 1
        self.statuses.setdefault(label, Counter())[status] += 1

    def write(self, name: str) -> None:
        out = ARTIFACTS / "security"
        out.mkdir(parents=True, exist_ok=True)
        figures = {
            "targets": len(self.examples),
            "examples": sum(self.examples.values()),
            "fewest_examples_of_a_target": min(self.examples.values()),
            "answers": dict(sum(self.statuses.values(), Counter())),
            "per_target": {label: dict(counts) for label, counts in self.statuses.items()},
        }
        (out / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))


def exchange(send, label: str, tally: Tally) -> None:
    """Send one request in a savepoint: no 5xx; a 4xx leaves every patient-data table as it was."""
    with transaction.atomic():
        before = patient_data_counts()
        response = send()
        tally.add(label, response.status_code)
        assert response.status_code < 500, f"{label}: {response.status_code}"
        if 400 <= response.status_code < 500:
            after = patient_data_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert changed == {}, f"{label}: {response.status_code} but wrote {changed}"
        transaction.set_rollback(True)


def fuzz(strategy, send, *, label: str, examples: int, tally: Tally) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=strategy)
    def check(body):
        exchange(lambda: send(body), label, tally)

    check()


@pytest.fixture(scope="module")
def form_targets(world, django_db_blocker):
    with django_db_blocker.unblock():
        return discover_forms(world, load_table())


def test_every_page_form_is_found_for_fuzzing(form_targets):
    keys = {target.key for target in form_targets}
    assert len(form_targets) >= MIN_FORMS
    assert {
        "patients:referral-create",
        "patients:referral-edit",
        "reviews:decide",
        "reviews:countersign",
        "outcomes:procedure-create",
        "outcomes:follow-up-record",
        "summaries:mark-printed",
        "audit:events",
    } <= keys


@pytest.mark.parametrize("examples", EXAMPLES)
def test_generated_form_input_never_fails_and_refusals_write_nothing(world, form_targets, examples):
    tally = Tally()
    failures = []
    for target in form_targets:
        client = world.client(target.role, raise_request_exception=False)

        def send(body, target=target, client=client):
            if target.method == "GET":
                return client.get(target.action, body)
            return client.post(target.action, body)

        try:
            fuzz(form_body(target), send, label=target.label, examples=examples, tally=tally)
        except Exception as error:  # noqa: BLE001 - collect every form's failure, then report
            failures.append(f"{target.label}: {error}")
    tally.write(f"fuzz-forms-{examples}")
    assert not failures, "\n\n".join(failures)
    assert min(tally.examples.values()) >= examples
    refused = sum(
        count for statuses in tally.statuses.values() for s, count in statuses.items() if s >= 400
    )
    assert refused > 0  # junk was sent and refused: the no-write check had work to do


@pytest.fixture
def cds_token(settings):
    settings.VPSELECT_CDS_HOOKS_TOKEN = CDS_TOKEN
    return CDS_TOKEN


@pytest.mark.parametrize("examples", EXAMPLES)
def test_generated_json_to_the_api_never_fails_and_refusals_write_nothing(
    world, cds_token, examples
):
    tally = Tally()
    client = world.client("physician_a", raise_request_exception=False)
    machine = world.client("anonymous", raise_request_exception=False)
    bearer = {"Authorization": f"Bearer {cds_token}"}
    case = copy.deepcopy(ELIGIBLE_CASE)
    hook = hook_request("order-sign-eligible.json", today=timezone.localdate())
    feedback = {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-24T10:00:00Z",
                "overrideReason": {"reason": {"code": "x", "system": "y"}, "userComment": "z"},
            }
        ]
    }
    targets = [
        (
            "POST /api/evaluate",
            st.one_of(mutated(case).map(as_bytes), raw_junk),
            lambda body: client.post(reverse("eligibility:api-evaluate"), body, "application/json"),
        ),
        (
            "POST CDS Hooks service",
            st.one_of(mutated(hook).map(as_bytes), raw_junk),
            lambda body: machine.post(
                reverse("interop:cds-service"), body, "application/json", headers=bearer
            ),
        ),
        (
            "POST CDS Hooks feedback",
            st.one_of(mutated(feedback).map(as_bytes), raw_junk),
            lambda body: machine.post(
                reverse("interop:cds-feedback"), body, "application/json", headers=bearer
            ),
        ),
    ]
    for label, strategy, send in targets:
        fuzz(strategy, send, label=label, examples=examples, tally=tally)
    tally.write(f"fuzz-json-{examples}")
    assert min(tally.examples.values()) >= examples
    for label in ("POST /api/evaluate", "POST CDS Hooks service"):
        statuses = tally.statuses[label]
        assert statuses[200] > 0 and sum(statuses.values()) > statuses[200], (label, statuses)
