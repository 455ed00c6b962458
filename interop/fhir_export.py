"""A referral as a FHIR R4B Bundle, built from the same case the engine reads.

The Bundle (type `collection`) holds the Patient, the referring Practitioner, a
ServiceRequest for percutaneous vertebroplasty with one body site per target level, one
Observation per known answer (LOINC where a code exists, VPSelect's answer codes otherwise),
one Condition per level etiology and, when the referral has been evaluated, a
GuidanceResponse with the engine's recommendation, ruleset version and findings. Every answer
of the case is carried, so `fhir_import.bundle_case` gives the case back.
"""

import uuid
from datetime import date, datetime

from fhir.resources.R4B.bundle import Bundle

from eligibility.models import Evaluation
from patients.cases import referral_case
from patients.models import Referral, TargetLevel

from . import codes
from .codes import Answer

# Resource ids are stable per referral: exporting twice gives the same ids.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, codes.VPSELECT_BASE)

# Referral.status -> (ServiceRequest.status, ServiceRequest.intent)
SERVICE_REQUEST_STATE: dict[str, tuple[str, str]] = {
    Referral.Status.DRAFT: ("draft", "proposal"),
    Referral.Status.SUBMITTED: ("active", "order"),
    Referral.Status.UNDER_REVIEW: ("active", "order"),
    Referral.Status.INFORMATION_REQUESTED: ("on-hold", "order"),
    Referral.Status.ACCEPTED: ("active", "order"),
    Referral.Status.DECLINED: ("revoked", "order"),
}
FHIR_JSON = "application/fhir+json"


def _resource_id(referral: Referral, part: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"referral/{referral.pk}/{part}"))


def _ref(resource: dict, display: str | None = None) -> dict:
    reference = {"reference": f"urn:uuid:{resource['id']}"}
    if display:
        reference["display"] = display
    return reference


def level_concept(level: str) -> dict:
    """The body site of one spinal level: SNOMED CT and VPSelect's level code."""
    coding = []
    if level in codes.VERTEBRA_SNOMED:
        code, display = codes.VERTEBRA_SNOMED[level]
        coding.append({"system": codes.SNOMED, "code": code, "display": display})
    coding.append({"system": codes.LEVEL_SYSTEM, "code": level, "display": level})
    return {"coding": coding, "text": level}


def _concept(code: codes.Code) -> dict:
    return {"coding": [code.coding()], "text": code.display}


def _value(answer: Answer, value) -> dict:
    if answer.kind == "boolean":
        return {"valueBoolean": value}
    if answer.kind == "integer":
        return {"valueInteger": value}
    if answer.kind == "quantity":
        return {
            "valueQuantity": {
                "value": value,
                "unit": answer.unit,
                "system": codes.UCUM,
                "code": answer.unit,
            }
        }
    if answer.kind == "date":
        return {"valueDateTime": value}
    if answer.kind == "code":
        labels = codes.RADICULAR_CAUSE_LABELS
        display = labels.get(value, value)
        return {
            "valueCodeableConcept": {
                "coding": [{"system": answer.value_system, "code": value, "display": display}],
                "text": display,
            }
        }
    if answer.kind == "allergies":
        components = [
            {
                "code": {
                    "coding": [
                        {"system": codes.ANSWER_SYSTEM, "code": "allergy", "display": "Allergy"}
                    ]
                },
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": codes.ALLERGY_SYSTEM,
                            "code": allergen,
                            "display": codes.ALLERGY_LABELS.get(allergen, allergen),
                        }
                    ]
                },
            }
            for allergen in value
        ]
        return {"valueBoolean": bool(value), **({"component": components} if components else {})}
    raise ValueError(f"Unknown answer kind {answer.kind!r}.")


def _observation(
    referral: Referral,
    answer: Answer,
    value,
    *,
    patient: dict,
    effective: str,
    level: str | None = None,
) -> dict:
    part = f"observation/{answer.key}" + (f"/{level}" if level else "")
    observation = {
        "resourceType": "Observation",
        "id": _resource_id(referral, part),
        "status": "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": answer.category}]}],
        "code": _concept(answer.code),
        "subject": _ref(patient),
        "effectiveDateTime": effective,
    }
    if level is not None:
        observation["bodySite"] = level_concept(level)
    observation.update(_value(answer, value))
    return observation


def _condition(referral: Referral, etiology: str, level: str, *, patient: dict) -> dict:
    coding = [
        {
            "system": codes.ETIOLOGY_SYSTEM,
            "code": etiology,
            "display": codes.ETIOLOGY_LABELS.get(etiology, etiology),
        }
    ]
    if etiology in codes.ETIOLOGY_SNOMED:
        coding.append(codes.ETIOLOGY_SNOMED[etiology].coding())
    return {
        "resourceType": "Condition",
        "id": _resource_id(referral, f"condition/etiology/{level}"),
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
        "category": [
            {
                "coding": [
                    {
                        "system": codes.CONDITION_CATEGORY,
                        "code": "encounter-diagnosis",
                        "display": "Encounter Diagnosis",
                    }
                ]
            }
        ],
        "code": {"coding": coding, "text": codes.ETIOLOGY_LABELS.get(etiology, etiology)},
        "bodySite": [level_concept(level)],
        "subject": _ref(patient),
    }


def _patient(referral: Referral) -> dict:
    patient = referral.patient
    return {
        "resourceType": "Patient",
        "id": _resource_id(referral, "patient"),
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {"system": codes.V2_0203, "code": "MR", "display": "Medical record number"}
                    ]
                },
                "system": codes.mrn_system(patient.clinic.code),
                "value": patient.mrn,
            }
        ],
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "gender": patient.sex or "unknown",
        "birthDate": patient.date_of_birth.isoformat(),
    }


def _practitioner(referral: Referral) -> dict:
    physician = referral.physician
    name: dict = {}
    if physician.last_name:
        name["family"] = physician.last_name
    if physician.first_name:
        name["given"] = [physician.first_name]
    if not name:
        name["text"] = physician.get_username()
    return {
        "resourceType": "Practitioner",
        "id": _resource_id(referral, "practitioner"),
        "identifier": [{"system": codes.USER_ID_SYSTEM, "value": str(physician.pk)}],
        "name": [name],
    }


def _parameter_part(name: str, **value) -> dict:
    return {"name": name, **value}


def _guidance_response(referral: Referral, evaluation: Evaluation, *, patient: dict) -> dict:
    result = evaluation.result
    parameters: list[dict] = [
        _parameter_part("recommendation", valueCode=result["recommendation"]),
        _parameter_part("flagged", valueBoolean=result["flagged"]),
        _parameter_part("ruleset_version", valueString=result["ruleset_version"]),
    ]
    parameters += [_parameter_part("missing", valueString=path) for path in result["missing"]]
    for level_result in result["levels"]:
        parts = [
            _parameter_part("level", valueString=level_result["level"]),
            _parameter_part("recommendation", valueCode=level_result["recommendation"]),
        ]
        for finding in level_result["findings"]:
            parts.append(
                _parameter_part(
                    "finding",
                    part=[
                        _parameter_part("rule", valueString=finding["rule"]),
                        _parameter_part("kind", valueCode=finding["kind"]),
                        _parameter_part("status", valueCode=finding["status"]),
                        _parameter_part("text", valueString=finding["text"]),
                        _parameter_part("reason", valueString=finding["reason"]),
                    ],
                )
            )
        parameters.append(_parameter_part("level", part=parts))
    recommendation = result["recommendation"]
    return {
        "resourceType": "GuidanceResponse",
        "id": _resource_id(referral, f"guidance/{evaluation.pk}"),
        "contained": [{"resourceType": "Parameters", "id": "result", "parameter": parameters}],
        "identifier": [{"system": codes.EVALUATION_ID_SYSTEM, "value": str(evaluation.pk)}],
        "moduleUri": f"{codes.RULESET_BASE}/{evaluation.ruleset_version}",
        "status": "data-required" if recommendation == "incomplete" else "success",
        "subject": _ref(patient),
        "occurrenceDateTime": evaluation.created_at.isoformat(),
        "note": [
            {
                "text": f"VPSelect recommendation: {recommendation.replace('_', ' ')} "
                f"(ruleset {evaluation.ruleset_version})."
            }
        ],
        "outputParameters": {"reference": "#result"},
    }


def _effective(referral: Referral) -> str:
    day: date = referral.assessed_on or referral.updated_at.date()
    return day.isoformat()


def referral_bundle(
    referral: Referral,
    *,
    now: datetime,
    levels: list[TargetLevel] | None = None,
    evaluation: Evaluation | None = None,
) -> Bundle:
    """The referral as a validated FHIR R4B Bundle (raises pydantic.ValidationError if not).

    `evaluation` is the referral's latest evaluation (None: no GuidanceResponse).
    """
    case = referral_case(referral, levels=levels)
    patient = _patient(referral)
    practitioner = _practitioner(referral)
    effective = _effective(referral)
    observations: list[dict] = []
    conditions: list[dict] = []
    for answer in codes.ANSWERS:
        if answer.per_level:
            continue
        value = case.get(answer.key)
        if value is not None:
            observations.append(
                _observation(referral, answer, value, patient=patient, effective=effective)
            )
    for level_case in case["levels"]:
        label = level_case["level"]
        if level_case.get("etiology"):
            conditions.append(_condition(referral, level_case["etiology"], label, patient=patient))
        for answer in codes.ANSWERS:
            if not answer.per_level or level_case.get(answer.key) is None:
                continue
            observations.append(
                _observation(
                    referral,
                    answer,
                    level_case[answer.key],
                    patient=patient,
                    effective=effective,
                    level=label,
                )
            )
    service_status, intent = SERVICE_REQUEST_STATE.get(referral.status, ("unknown", "order"))
    authored = referral.submitted_at or referral.created_at
    service_request = {
        "resourceType": "ServiceRequest",
        "id": _resource_id(referral, "service-request"),
        "identifier": [{"system": codes.REFERRAL_ID_SYSTEM, "value": str(referral.pk)}],
        "status": service_status,
        "intent": intent,
        "code": {
            "coding": [codes.VERTEBROPLASTY.coding(), codes.VERTEBROPLASTY_LOCAL.coding()],
            "text": codes.VERTEBROPLASTY.display,
        },
        "subject": _ref(patient),
        "authoredOn": authored.isoformat(),
        "requester": _ref(practitioner, referral.physician.get_full_name() or None),
    }
    if case["levels"]:
        service_request["bodySite"] = [level_concept(level["level"]) for level in case["levels"]]
    if conditions:
        service_request["reasonReference"] = [_ref(condition) for condition in conditions]
    if observations:
        service_request["supportingInfo"] = [_ref(obs) for obs in observations]
    resources = [patient, practitioner, service_request, *conditions, *observations]
    if evaluation is not None:
        resources.append(_guidance_response(referral, evaluation, patient=patient))
    bundle = {
        "resourceType": "Bundle",
        "id": _resource_id(referral, f"bundle/{referral.version}"),
        "identifier": {
            "system": f"{codes.REFERRAL_ID_SYSTEM}/export",
            "value": f"{referral.pk}-{referral.version}",
        },
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }
    return Bundle.model_validate(bundle)
