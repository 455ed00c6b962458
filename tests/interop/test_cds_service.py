import json
import re

import pytest
from django.urls import reverse

from interop import cds, codes
from interop.models import CdsEvaluation, CdsLaunch
from interop.override_reasons import DEFAULT_OVERRIDE_REASONS
from reviews.models import ReasonCode

CARD_KEYS = {
    "uuid",
    "summary",
    "detail",
    "indicator",
    "source",
    "overrideReasons",
    "links",
    "suggestions",
    "selectionBehavior",
}


def _entries(body: dict, key: str) -> list[dict]:
    return [entry["resource"] for entry in body["prefetch"][key]["entry"]]


def _observation(body: dict, observation_id: str) -> dict:
    return next(o for o in _entries(body, "observations") if o["id"] == observation_id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fixture", "indicator", "recommendation"),
    [
        ("order-sign-eligible.json", "info", "eligible"),
        ("order-select-review.json", "warning", "review"),
        ("order-sign-incomplete.json", "warning", "incomplete"),
        ("order-sign-not-eligible.json", "critical", "not_eligible"),
    ],
)
def test_sample_hook_requests_get_the_expected_card(
    post_hook, hook_body, fixture, indicator, recommendation
):
    response = post_hook(hook_body(fixture))
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert set(card) <= CARD_KEYS
    assert card["indicator"] == indicator
    assert len(card["summary"]) < 140
    evaluation = CdsEvaluation.objects.get(card_uuid=card["uuid"])
    assert evaluation.recommendation == recommendation
    assert card["source"]["label"] == f"VPSelect (ruleset {evaluation.ruleset_version})"
    (link,) = card["links"]
    assert link["type"] == "absolute"
    assert link["url"].startswith("http://testserver/cds/launch/")
    assert [(r["code"], r["display"]) for r in card["overrideReasons"]] == list(
        ReasonCode.objects.filter(kind=ReasonCode.Kind.OVERRIDE, active=True)
        .order_by("position", "code")
        .values_list("code", "label")
    )
    assert {r["system"] for r in card["overrideReasons"]} == {codes.OVERRIDE_REASON_SYSTEM}
    assert evaluation.card == card
    assert evaluation.hook == hook_body(fixture)["hook"]


@pytest.mark.django_db
def test_eligible_card_quotes_the_indication_in_the_seeds_words(post_hook, hook_body):
    (card,) = post_hook(hook_body("order-sign-eligible.json")).json()["cards"]
    assert card["summary"] == "Vertebroplasty at L2: eligible by VPSelect's rules"
    assert "*Severe painful Osteoporosis*" in card["detail"]
    assert CdsEvaluation.objects.get().rules == ["IND-OSTEOPOROSIS"]


@pytest.mark.django_db
def test_review_card_names_the_relative_contraindication(post_hook, hook_body):
    (card,) = post_hook(hook_body("order-select-review.json")).json()["cards"]
    assert "Retropulsed fragment with \\> 20% spinal canal compromise" in card["detail"]
    assert "interventional radiologist" in card["summary"]
    assert CdsEvaluation.objects.get().rules == ["RCI-RETROPULSION"]


@pytest.mark.django_db
def test_not_eligible_card_names_the_absolute_contraindication(post_hook, hook_body):
    (card,) = post_hook(hook_body("order-sign-not-eligible.json")).json()["cards"]
    assert card["summary"] == "Vertebroplasty not indicated: Local or systemic infection"
    assert "absolute contraindication met: *Local or systemic infection*" in card["detail"]
    assert CdsEvaluation.objects.get().rules == ["CI-INFECTION"]


@pytest.mark.django_db
def test_incomplete_card_gives_no_verdict_and_lists_the_questions(post_hook, hook_body):
    (card,) = post_hook(hook_body("order-sign-incomplete.json")).json()["cards"]
    evaluation = CdsEvaluation.objects.get()
    assert evaluation.missing == ["coagulopathy", "allergies"]
    assert card["summary"] == "Vertebroplasty: no recommendation yet – 2 questions to answer"
    assert "**No recommendation yet.**" in card["detail"]
    assert "bleeding disorder or take anticoagulant" in card["detail"]
    assert "1. Allergy to a component the procedure needs" in card["detail"]
    assert card["links"][0]["label"] == "Answer the questions in VPSelect"
    assert "eligible" not in card["summary"]


@pytest.mark.django_db
def test_order_without_levels_gets_a_question_for_the_levels(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    del body["context"]["draftOrders"]["entry"][0]["resource"]["bodySite"]
    (card,) = post_hook(body).json()["cards"]
    assert card["indicator"] == "warning"
    assert "Which vertebral levels are to be treated?" in card["detail"]
    assert CdsEvaluation.objects.get().result is None


@pytest.mark.django_db
def test_missing_prefetch_gives_a_warning_card_asking_for_everything(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    del body["prefetch"]
    (card,) = post_hook(body).json()["cards"]
    assert card["indicator"] == "warning"
    evaluation = CdsEvaluation.objects.get()
    assert evaluation.recommendation == "incomplete"
    assert "levels[0].etiology" in evaluation.missing


@pytest.mark.django_db
@pytest.mark.parametrize(
    "prefetch",
    [
        {"patient": None, "observations": None, "conditions": None},
        {"patient": "Patient/1288992", "observations": 5, "conditions": ["x"]},
        {"observations": {"resourceType": "Bundle", "entry": "not a list"}},
        {"observations": {"resourceType": "Bundle", "entry": [{"resource": {"status": 1}}]}},
        {
            "observations": {
                "resourceType": "Bundle",
                "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}],
            }
        },
        {"conditions": {"resourceType": "OperationOutcome", "issue": []}},
    ],
)
def test_malformed_prefetch_values_give_a_warning_card_not_an_error(post_hook, hook_body, prefetch):
    body = hook_body("order-sign-eligible.json")
    body["prefetch"] = prefetch
    response = post_hook(body)
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert card["indicator"] == "warning"


@pytest.mark.django_db
def test_prefetch_that_is_not_an_object_is_a_400(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    body["prefetch"] = ["not", "an", "object"]
    response = post_hook(body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["prefetch"]


@pytest.mark.django_db
def test_unreadable_and_foreign_resources_are_reported_on_the_card(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    observations = body["prefetch"]["observations"]["entry"]
    observations.append({"resource": {"resourceType": "Observation", "status": 7}})
    stranger = json.loads(json.dumps(observations[0]["resource"]))
    stranger["subject"] = {"reference": "Patient/someone-else"}
    stranger["valueInteger"] = 0
    observations.append({"resource": stranger})
    (card,) = post_hook(body).json()["cards"]
    assert card["indicator"] == "info"  # the stranger's pain score was not used
    assert "1 prefetched resource(s) could not be read." in card["detail"]
    assert "1 resource(s) about another patient ignored." in card["detail"]


@pytest.mark.django_db
def test_values_the_engine_refuses_are_dropped_and_named(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    _observation(body, "pain-l2")["valueInteger"] = 12  # NRS is 0-10
    (card,) = post_hook(body).json()["cards"]
    evaluation = CdsEvaluation.objects.get()
    assert evaluation.ignored == ["levels[0].pain_nrs"]
    assert evaluation.recommendation == "incomplete"
    assert "`levels[0].pain_nrs`" in card["detail"]


@pytest.mark.django_db
def test_old_observations_are_not_used(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    _observation(body, "imaging-acute-l2")["effectiveDateTime"] = "2019-01-01"
    post_hook(body)
    evaluation = CdsEvaluation.objects.get()
    assert evaluation.case["levels"][0].get("imaging_acute") is None
    assert "levels[0].imaging_acute" in evaluation.missing
    assert evaluation.recommendation == "incomplete"


@pytest.mark.django_db
def test_platelets_per_microlitre_are_converted(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    quantity = _observation(body, "platelets")["valueQuantity"]
    quantity.update(value=30000, unit="/uL", code="/uL")
    (card,) = post_hook(body).json()["cards"]
    assert card["indicator"] == "critical"
    assert CdsEvaluation.objects.get().case["platelets"] == 30


@pytest.mark.django_db
def test_order_select_advises_only_on_selected_orders(post_hook, hook_body):
    body = hook_body("order-select-review.json")
    body["context"]["selections"] = ["MedicationRequest/smart-MedicationRequest-103"]
    response = post_hook(body)
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    assert not CdsEvaluation.objects.exists()


@pytest.mark.django_db
def test_orders_other_than_vertebroplasty_get_no_cards(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "77477000"}]}
    assert post_hook(body).json() == {"cards": []}


@pytest.mark.django_db
def test_cpt_coded_order_is_recognised(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["code"] = {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "22511"}]}
    assert post_hook(body).json()["cards"][0]["indicator"] == "info"


@pytest.mark.django_db
def test_each_vertebroplasty_order_gets_its_own_card(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    second = json.loads(json.dumps(body["context"]["draftOrders"]["entry"][0]))
    second["resource"]["id"] = "vertebroplasty-2"
    second["resource"]["bodySite"] = [{"text": "T7"}]
    body["context"]["draftOrders"]["entry"].append(second)
    cards = post_hook(body).json()["cards"]
    assert [card["indicator"] for card in cards] == ["info", "warning"]
    assert CdsLaunch.objects.count() == 2


@pytest.mark.django_db
def test_an_order_for_two_levels_is_judged_by_the_more_favourable_and_shows_both(
    post_hook, hook_body
):
    body = hook_body("order-sign-eligible.json")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["bodySite"].append({"text": "T7 vertebra"})
    (card,) = post_hook(body).json()["cards"]
    assert card["indicator"] == "info"
    assert "- **L2**: eligible" in card["detail"]
    assert "- **T7**: incomplete" in card["detail"]
    assert [level["level"] for level in CdsEvaluation.objects.get().case["levels"]] == [
        "L2",
        "T7",
    ]


@pytest.mark.django_db
def test_card_link_and_stored_launch_carry_no_phi_in_the_url(post_hook, hook_body):
    (card,) = post_hook(hook_body("order-sign-eligible.json")).json()["cards"]
    url = card["links"][0]["url"]
    assert re.fullmatch(r"http://testserver/cds/launch/[0-9a-f-]{36}", url)
    launch = CdsLaunch.objects.get()
    assert str(launch.pk) in url
    assert launch.patient == {
        "mrn": "EHR-1288992",
        "family_name": "Chalmers",
        "given_name": "Peter James",
        "sex": "female",
        "date_of_birth": "1946-03-14",
    }
    assert launch.case["levels"][0]["level"] == "L2"


@pytest.mark.django_db
def test_public_url_setting_is_used_for_card_links(post_hook, hook_body, settings):
    settings.VPSELECT_PUBLIC_URL = "https://vpselect.clinic.example/"
    (card,) = post_hook(hook_body("order-sign-eligible.json")).json()["cards"]
    assert card["links"][0]["url"].startswith("https://vpselect.clinic.example/cds/launch/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", ""),
        (b"[1, 2]", ""),
        (b'"a string"', ""),
        (b"{}", "hook"),
        ({"hookInstance": "x", "context": {}}, "hook"),
        ({"hook": "patient-view", "hookInstance": "x", "context": {}}, "hook"),
        ({"hook": 5, "hookInstance": "x", "context": {}}, "hook"),
        ({"hook": "order-sign", "hookInstance": 7, "context": {}}, "hookInstance"),
        ({"hook": "order-sign", "hookInstance": "x", "context": []}, "context"),
        ({"hook": "order-sign", "hookInstance": "x", "context": {}}, "context.userId"),
        ({"hook": "order-sign", "hookInstance": "a\u0000b", "context": {}}, "hookInstance"),
    ],
)
def test_invalid_requests_get_400_naming_the_field(post_hook, body, field):
    response = post_hook(body)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["severity"] == "error"
    assert issue.get("expression", [""]) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda ctx: ctx.update(draftOrders={"resourceType": "Patient"}), "context.draftOrders"),
        (lambda ctx: ctx.update(draftOrders="Bundle"), "context.draftOrders"),
        (lambda ctx: ctx.update(patientId=1288992), "context.patientId"),
        (lambda ctx: ctx.update(selections=[]), "context.selections"),
        (
            lambda ctx: ctx["draftOrders"]["entry"][0]["resource"].update(status=3),
            "context.draftOrders.entry[0].resource",
        ),
        (
            lambda ctx: ctx["draftOrders"]["entry"][0]["resource"].update(
                subject={"reference": "Patient/other"}
            ),
            "context.draftOrders.entry[0].resource.subject",
        ),
    ],
)
def test_invalid_context_gets_400(post_hook, hook_body, change, field):
    body = hook_body("order-select-review.json")
    change(body["context"])
    response = post_hook(body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [field]
    assert not CdsEvaluation.objects.exists()


@pytest.mark.django_db
def test_nul_characters_anywhere_in_prefetch_get_400_not_a_database_error(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    body["prefetch"]["patient"]["name"][0]["family"] = "Chal\u0000mers"
    response = post_hook(body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["prefetch"]


@pytest.mark.django_db
def test_too_large_request_is_refused_with_413(post_hook, monkeypatch):
    from interop import views

    monkeypatch.setattr(views, "MAX_HOOK_BYTES", 100)
    response = post_hook({"hook": "order-sign", "padding": "x" * 200})
    assert response.status_code == 413


@pytest.mark.django_db
def test_error_messages_never_echo_the_request(post_hook, hook_body):
    body = hook_body("order-sign-eligible.json")
    body["context"]["patientId"] = ["Chalmers-secret"]
    response = post_hook(body)
    assert response.status_code == 400
    assert b"Chalmers" not in response.content


@pytest.mark.django_db
def test_hook_answers_in_bounded_queries(post_hook, hook_body, django_assert_max_num_queries):
    body = hook_body("order-sign-eligible.json")
    with django_assert_max_num_queries(7):
        assert post_hook(body).status_code == 200


@pytest.mark.django_db
def test_each_hook_call_is_in_the_audit_trail(post_hook, hook_body):
    from audit.models import AuditEvent

    post_hook(hook_body("order-sign-eligible.json"))
    event = AuditEvent.objects.get(username="cds-hooks-client")
    assert event.details["hook"] == "order-sign"
    assert event.details["cds_evaluations"] == [CdsEvaluation.objects.get().pk]
    assert event.path == "/cds-services/vertebroplasty-eligibility"


def test_discovery_document_is_valid_for_both_hooks():
    document = cds.discovery().to_json()
    assert {service["hook"] for service in document["services"]} == set(cds.HOOKS)


@pytest.mark.django_db
def test_override_reasons_are_the_clinics_active_override_codes(post_hook, hook_body):
    ReasonCode.objects.filter(kind=ReasonCode.Kind.OVERRIDE).update(active=False)
    ReasonCode.objects.create(
        code="benefit-outweighs", label="Benefit outweighs", kind=ReasonCode.Kind.OVERRIDE
    )
    (card,) = post_hook(hook_body("order-sign-eligible.json")).json()["cards"]
    assert [(r["code"], r["display"]) for r in card["overrideReasons"]] == [
        ("benefit-outweighs", "Benefit outweighs")
    ]


@pytest.mark.django_db
def test_default_override_reasons_when_the_clinic_has_none(post_hook, hook_body):
    ReasonCode.objects.filter(kind=ReasonCode.Kind.OVERRIDE).update(active=False)
    (card,) = post_hook(hook_body("order-sign-eligible.json")).json()["cards"]
    assert [(r["code"], r["display"]) for r in card["overrideReasons"]] == list(
        DEFAULT_OVERRIDE_REASONS
    )


@pytest.mark.django_db
def test_discovery_url_is_the_spec_path(client, cds_token):
    assert reverse("interop:cds-discovery") == "/cds-services"
    assert reverse("interop:cds-service") == "/cds-services/vertebroplasty-eligibility"
    assert reverse("interop:cds-feedback") == "/cds-services/vertebroplasty-eligibility/feedback"
