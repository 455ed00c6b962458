import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from accounts.roles import Role
from audit.models import AuditEvent
from interop import codes
from interop.fhir_import import bundle_case
from patients.cases import case_referral_answers, referral_case
from patients.models import Referral

from .support import example_case

EXAMPLE_NAMES = [
    "01-eligible-osteoporotic-L2",
    "02-review-retropulsion",
    "03-not-eligible-infection",
    "04-incomplete-missing-coagulation",
    "05-eligible-painful-metastasis",
    "06-not-eligible-no-indication",
    "07-two-levels",
    "08-review-old-healed-fracture",
]


def _export(client, referral, **params):
    return client.get(reverse("interop:referral-fhir", args=[referral.pk]), params)


def _resources(bundle: Bundle, resource_type: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == resource_type]


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_exported_bundle_validates_and_round_trips_every_answer(
    client, physician, make_referral, name
):
    referral = make_referral(physician, example_case(name), evaluate=True)
    client.force_login(physician)
    response = _export(client, referral)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.content)
    mapped = bundle_case(bundle)
    original = referral_case(referral)
    original.pop("assessed_on", None)
    assert mapped.case == {
        **{key: value for key, value in original.items() if value is not None and key != "levels"},
        "levels": [
            {key: value for key, value in level.items() if value is not None}
            for level in original["levels"]
        ],
    }
    assert case_referral_answers(mapped.case) == case_referral_answers(original)
    assert mapped.notes == []


@pytest.mark.django_db
def test_bundle_names_the_procedure_levels_requester_and_state(client, physician, make_referral):
    referral = make_referral(physician, example_case("07-two-levels"), evaluate=True)
    client.force_login(physician)
    bundle = Bundle.model_validate_json(_export(client, referral).content)
    (order,) = _resources(bundle, "ServiceRequest")
    assert (codes.SNOMED, "392010000") in {(c.system, c.code) for c in order.code.coding}
    assert [site.text for site in order.bodySite] == [
        level.level for level in referral.levels.all()
    ]
    assert {c.code for c in order.bodySite[0].coding} >= {referral.levels.first().level}
    assert (order.status, order.intent) == ("draft", "proposal")
    (practitioner,) = _resources(bundle, "Practitioner")
    assert order.requester.reference == f"urn:uuid:{practitioner.id}"
    assert practitioner.name[0].family == physician.last_name
    (patient,) = _resources(bundle, "Patient")
    assert patient.identifier[0].value == referral.patient.mrn
    assert patient.identifier[0].type.coding[0].code == "MR"
    assert (patient.name[0].family, patient.gender) == ("Lovelace", referral.patient.sex)
    full_urls = {entry.fullUrl for entry in bundle.entry}
    for reference in [*order.supportingInfo, *order.reasonReference, order.subject]:
        assert reference.reference in full_urls


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Referral.Status.SUBMITTED, ("active", "order")),
        (Referral.Status.INFORMATION_REQUESTED, ("on-hold", "order")),
        (Referral.Status.ACCEPTED, ("active", "order")),
        (Referral.Status.DECLINED, ("revoked", "order")),
    ],
)
def test_service_request_state_follows_the_referral_status(
    client, radiologist, physician, make_referral, status, expected
):
    referral = make_referral(physician, example_case("01-eligible-osteoporotic-L2"), status=status)
    client.force_login(radiologist)
    bundle = Bundle.model_validate_json(_export(client, referral).content)
    (order,) = _resources(bundle, "ServiceRequest")
    assert (order.status, order.intent) == expected


@pytest.mark.django_db
def test_lab_values_and_pain_use_loinc_and_etiology_is_a_coded_condition(
    client, physician, make_referral
):
    referral = make_referral(physician, example_case("01-eligible-osteoporotic-L2"))
    client.force_login(physician)
    bundle = Bundle.model_validate_json(_export(client, referral).content)
    by_code = {
        (o.code.coding[0].system, o.code.coding[0].code): o
        for o in _resources(bundle, "Observation")
    }
    assert by_code[(codes.LOINC, "72514-3")].valueInteger == 9
    assert by_code[(codes.LOINC, "72514-3")].bodySite.text == "L2"
    assert float(by_code[(codes.LOINC, "6301-6")].valueQuantity.value) == 1.0
    assert float(by_code[(codes.LOINC, "777-3")].valueQuantity.value) == 240
    (condition,) = _resources(bundle, "Condition")
    assert (codes.SNOMED, "64859006") in {(c.system, c.code) for c in condition.code.coding}
    assert condition.bodySite[0].text == "L2"


@pytest.mark.django_db
def test_guidance_response_carries_recommendation_ruleset_and_findings(
    client, physician, make_referral
):
    referral = make_referral(physician, example_case("02-review-retropulsion"), evaluate=True)
    evaluation = referral.latest_evaluation
    client.force_login(physician)
    bundle = Bundle.model_validate_json(_export(client, referral).content)
    (guidance,) = _resources(bundle, "GuidanceResponse")
    assert guidance.status == "success"
    assert guidance.moduleUri.endswith(evaluation.ruleset_version)
    (parameters,) = guidance.contained
    values = {p.name: p for p in parameters.parameter}
    assert values["recommendation"].valueCode == "review"
    assert values["ruleset_version"].valueString == evaluation.ruleset_version
    (level,) = [p for p in parameters.parameter if p.name == "level"]
    findings = [part for part in level.part if part.name == "finding"]
    assert len(findings) == len(evaluation.result["levels"][0]["findings"])
    met = {
        next(x.valueString for x in f.part if x.name == "rule")
        for f in findings
        if next(x.valueCode for x in f.part if x.name == "status") == "met"
    }
    assert "RCI-RETROPULSION" in met


@pytest.mark.django_db
def test_unevaluated_referral_exports_without_guidance_response(client, physician, make_referral):
    referral = make_referral(physician, example_case("04-incomplete-missing-coagulation"))
    client.force_login(physician)
    bundle = Bundle.model_validate_json(_export(client, referral).content)
    assert _resources(bundle, "GuidanceResponse") == []


@pytest.mark.django_db
def test_incomplete_evaluation_is_a_data_required_guidance_response(
    client, physician, make_referral
):
    referral = make_referral(
        physician, example_case("04-incomplete-missing-coagulation"), evaluate=True
    )
    client.force_login(physician)
    bundle = Bundle.model_validate_json(_export(client, referral).content)
    (guidance,) = _resources(bundle, "GuidanceResponse")
    assert guidance.status == "data-required"


@pytest.mark.django_db
def test_export_is_audited_and_download_is_an_attachment_named_by_id(
    client, physician, make_referral
):
    referral = make_referral(physician, example_case("01-eligible-osteoporotic-L2"))
    client.force_login(physician)
    _export(client, referral)
    response = _export(client, referral, download="1")
    assert response["Content-Disposition"] == (
        f'attachment; filename="referral-{referral.pk}-fhir.json"'
    )
    events = AuditEvent.objects.filter(
        object_type="patients.referral",
        object_id=str(referral.pk),
        user=physician,
        action__in=[AuditEvent.Action.EXPORT, AuditEvent.Action.DOWNLOAD],
    )
    assert sorted(events.values_list("action", flat=True)) == ["download", "export"]
    assert set(events.values_list("patient_id", flat=True)) == {referral.patient_id}


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_levels(client, physician, make_referral):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one_level = make_referral(physician, example_case("01-eligible-osteoporotic-L2"), evaluate=True)
    two_levels = make_referral(physician, example_case("07-two-levels"), evaluate=True)
    client.force_login(physician)
    _export(client, one_level)  # the session's first request does the session's own writes
    counts = []
    for referral in (one_level, two_levels):
        with CaptureQueriesContext(connection) as queries:
            assert _export(client, referral).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


@pytest.mark.django_db
def test_physician_cannot_export_another_physicians_referral(client, make_user, make_referral):
    owner = make_user(Role.PHYSICIAN)
    other = make_user(Role.PHYSICIAN)
    referral = make_referral(owner, example_case("01-eligible-osteoporotic-L2"))
    client.force_login(other)
    response = _export(client, referral)
    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "", "message": "Not found."}]}


@pytest.mark.django_db
def test_radiologist_staff_and_admin_may_export_any_submitted_referral(
    client, make_user, make_referral
):
    referral = make_referral(
        make_user(Role.PHYSICIAN),
        example_case("02-review-retropulsion"),
        status=Referral.Status.SUBMITTED,
    )
    for user in (
        make_user(Role.RADIOLOGIST),
        make_user(Role.STAFF),
        make_user(None, superuser=True),
    ):
        client.force_login(user)
        assert _export(client, referral).status_code == 200


@pytest.mark.django_db
def test_a_draft_is_exported_only_by_its_physician_and_administrators(
    client, make_user, make_referral
):
    owner = make_user(Role.PHYSICIAN)
    draft = make_referral(owner, example_case("02-review-retropulsion"))
    expected = {
        owner: 200,
        make_user(None, superuser=True): 200,
        make_user(Role.RADIOLOGIST): 404,
        make_user(Role.STAFF): 404,
    }
    for user, status in expected.items():
        client.force_login(user)
        assert _export(client, draft).status_code == status, user


@pytest.mark.django_db
def test_user_without_a_role_gets_404(client, make_user, make_referral):
    referral = make_referral(make_user(Role.PHYSICIAN), example_case("02-review-retropulsion"))
    client.force_login(make_user(None))
    assert _export(client, referral).status_code == 404


@pytest.mark.django_db
def test_anonymous_export_gets_401_json_not_a_login_redirect(client, physician, make_referral):
    referral = make_referral(physician, example_case("01-eligible-osteoporotic-L2"))
    response = _export(client, referral)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Authentication required."


@pytest.mark.django_db
def test_export_page_offers_the_download_without_phi_in_its_links(client, physician, make_referral):
    referral = make_referral(physician, example_case("01-eligible-osteoporotic-L2"))
    client.force_login(physician)
    response = client.get(reverse("interop:referral-export", args=[referral.pk]))
    assert response.status_code == 200
    link = reverse("interop:referral-fhir", args=[referral.pk]) + "?download=1"
    assert link.encode() in response.content
    assert referral.patient.mrn not in link and "Lovelace" not in link


@pytest.mark.django_db
def test_export_page_of_another_physicians_referral_is_404(client, make_user, make_referral):
    referral = make_referral(make_user(Role.PHYSICIAN), example_case("02-review-retropulsion"))
    client.force_login(make_user(Role.PHYSICIAN))
    response = client.get(reverse("interop:referral-export", args=[referral.pk]))
    assert response.status_code == 404
