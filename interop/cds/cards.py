"""The cards of the vertebroplasty-eligibility CDS service.

For each draft vertebroplasty ServiceRequest (order-select: the selected ones; order-sign:
all), the prefetched Patient, Observations and Conditions are mapped onto a case for the
order's levels, values the engine refuses are dropped (they stay unknown), and the engine's
result becomes one card: info (eligible), warning (review, or incomplete: no verdict, the
questions to answer), critical (not eligible). Pure apart from reading the thresholds and
the override reasons; storing is `services.cds_advice_record`.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest

from eligibility.conf import get_thresholds
from eligibility.engine import CaseValidationError, evaluate, ruleset_version, validate_case
from eligibility.i18n import localized_result

from .. import codes
from ..cds_models import Card, Coding, HookRequest, Link, OrderSignContext, Source
from ..fhir_import import case_from_resources, order_levels
from ..questions import question_for
from .prefetch import Prefetched, read_prefetch
from .requests import vertebroplasty_orders

INDICATOR: dict[str, Literal["info", "warning", "critical"]] = {
    "eligible": "info",
    "review": "warning",
    "incomplete": "warning",
    "not_eligible": "critical",
}
TOPIC = Coding(
    system=codes.CARD_TOPIC_SYSTEM,
    code="vertebroplasty-eligibility",
    display="Vertebroplasty eligibility",
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_LEVEL_PATH = re.compile(r"^levels\[(\d+)\]\.(\w+)$")
_PATIENT_PATH = re.compile(r"^patient\.(\w+)$")
_TOP_PATH = re.compile(r"^(\w+)$")


def _drop(case: dict, path: str) -> bool:
    """Remove the answer at a case path; False when the path is not an answer."""
    if match := _LEVEL_PATH.match(path):
        index, name = int(match.group(1)), match.group(2)
        levels = case.get("levels", [])
        if name != "level" and index < len(levels) and name in levels[index]:
            del levels[index][name]
            return True
        return False
    if match := _PATIENT_PATH.match(path):
        return case.get("patient", {}).pop(match.group(1), None) is not None
    if (match := _TOP_PATH.match(path)) and match.group(1) not in ("levels", "patient"):
        return case.pop(match.group(1), None) is not None
    return False


def usable_case(case: dict, *, today: date) -> tuple[dict, list[str]]:
    """The case with every value the engine refuses removed, and the paths removed."""
    ignored: list[str] = []
    for _attempt in range(100):
        try:
            validate_case(case, today=today)
        except CaseValidationError as error:
            dropped = [e.field for e in error.errors if _drop(case, e.field)]
            if not dropped:
                case["levels"] = []  # not an answer we can drop: no verdict at all
                return case, ignored
            ignored += dropped
        else:
            return case, ignored
    case["levels"] = []
    return case, ignored


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _summary(text: str) -> str:
    return text if len(text) <= 139 else text[:138] + "…"


def _findings(result: dict, *, kind: str | None = None, status: str) -> list[dict]:
    found, seen = [], set()
    for level in result["levels"]:
        for finding in level["findings"]:
            if finding["status"] == status and (kind is None or finding["kind"] == kind):
                if finding["rule"] not in seen:
                    seen.add(finding["rule"])
                    found.append(finding)
    return found


_KIND_WORDS = {
    "indication": gettext_lazy("indication"),
    "absolute": gettext_lazy("absolute contraindication"),
    "relative": gettext_lazy("relative contraindication"),
}
_RECOMMENDATION_WORDS = {
    "eligible": pgettext_lazy("engine recommendation", "eligible"),
    "review": pgettext_lazy("engine recommendation", "review"),
    "incomplete": pgettext_lazy("engine recommendation", "incomplete"),
    "not_eligible": pgettext_lazy("engine recommendation", "not eligible"),
}


def card_language(accept_language: str = "") -> str:
    """The cards' language: the first supported one the hook request's Accept-Language names
    (the EHR user's), else VPSELECT_CDS_LANGUAGE, else the clinic's (VPSELECT_CLINIC_LANGUAGE)."""
    supported = {code for code, _name in settings.LANGUAGES}
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in supported:
            return code
    return getattr(settings, "VPSELECT_CDS_LANGUAGE", "") or settings.VPSELECT_CLINIC_LANGUAGE


def _level_lines(result: dict) -> list[str]:
    lines = []
    for level in result["levels"]:
        recommendation = level["recommendation"]
        findings = level["findings"]
        if recommendation == "eligible":
            shown = [f for f in findings if f["kind"] == "indication" and f["status"] == "met"]
        elif recommendation == "review":
            shown = [f for f in findings if f["kind"] == "relative" and f["status"] == "met"]
        elif recommendation == "not_eligible":
            shown = [f for f in findings if f["kind"] == "absolute" and f["status"] == "met"]
        else:
            shown = [f for f in findings if f["status"] == "unknown"]
        words = _RECOMMENDATION_WORDS.get(recommendation, recommendation)
        lines.append(f"- **{level['level']}**: {words}")
        if recommendation == "not_eligible" and not shown:
            lines.append(f"  - {_('no indication is met')}")
        for finding in shown:
            kind = _KIND_WORDS[finding["kind"]]
            status = (
                _("%(kind)s undecided") if finding["status"] == "unknown" else _("%(kind)s met")
            ) % {"kind": kind}
            lines.append(
                f"  - {status}: *{_escape(finding['text'])}* — {_escape(finding['reason'])}"
            )
    return lines


def _data_notes(ignored: list[str], prefetched: Prefetched, notes: list[str]) -> list[str]:
    lines = []
    if ignored:
        paths = ", ".join(f"`{path}`" for path in ignored)
        lines.append(
            "- "
            + _("EHR values VPSelect cannot use (treated as unknown): %(paths)s") % {"paths": paths}
        )
    if prefetched.unreadable:
        lines.append(
            "- "
            + _("%(count)s prefetched resource(s) could not be read.")
            % {"count": prefetched.unreadable}
        )
    if prefetched.other_patient:
        lines.append(
            "- "
            + _("%(count)s resource(s) about another patient ignored.")
            % {"count": prefetched.other_patient}
        )
    if prefetched.reported_errors:
        lines.append("- " + _("The EHR reported an error for some prefetched data."))
    lines += [f"- {_escape(note)}" for note in dict.fromkeys(notes)]
    return lines


@dataclass
class Advice:
    """One card and what is stored with it."""

    card: Card
    card_uuid: uuid.UUID
    launch_id: uuid.UUID
    case: dict
    result: dict | None
    recommendation: str
    rules: list[str]
    missing: list[str]
    ignored: list[str]
    patient_details: dict
    ruleset_version: str


def _card_text(result: dict | None, case: dict, missing: list[str]) -> tuple[str, str, list[str]]:
    """(summary, detail lines joined, rule ids the card is about) for a result."""
    if result is None:
        questions = [question_for(path, case) for path in missing]
        summary = _("Vertebroplasty: no recommendation yet – say which vertebral levels to treat")
        lines = [
            _(
                "**No recommendation yet.** The draft order names no vertebral level VPSelect "
                "can read, and VPSelect never recommends the procedure on missing data."
            ),
            "",
            *[f"1. {_escape(q)}" for q in questions],
        ]
        return summary, "\n".join(lines), []
    recommendation = result["recommendation"]
    version = result["ruleset_version"]  # the engine's "release+fingerprint": no Markdown
    levels_with = [
        level["level"] for level in result["levels"] if level["recommendation"] == recommendation
    ]
    where = ", ".join(levels_with)
    if recommendation == "eligible":
        rules = [f["rule"] for f in _findings(result, kind="indication", status="met")]
        summary = _("Vertebroplasty at %(levels)s: eligible by VPSelect's rules") % {
            "levels": where
        }
        head = _("**Eligible** at %(levels)s (VPSelect ruleset `%(version)s`).") % {
            "levels": where,
            "version": version,
        }
    elif recommendation == "review":
        relative = _findings(result, kind="relative", status="met")
        rules = [f["rule"] for f in relative]
        summary = _(
            "Vertebroplasty at %(levels)s: an interventional radiologist should decide "
            "(%(criterion)s)"
        ) % {"levels": where, "criterion": relative[0]["text"]}
        head = _(
            "**Review** at %(levels)s: a relative contraindication is met, so an "
            "interventional radiologist decides (VPSelect ruleset `%(version)s`)."
        ) % {"levels": where, "version": version}
    elif recommendation == "incomplete":
        rules = [f["rule"] for f in _findings(result, status="unknown")]
        count = len(missing)
        summary = (
            ngettext(
                "Vertebroplasty: no recommendation yet – %(count)s question to answer",
                "Vertebroplasty: no recommendation yet – %(count)s questions to answer",
                count,
            )
            % {"count": count}
            if count
            else _("Vertebroplasty: no recommendation yet – see the undecided criteria")
        )
        questions = [question_for(path, case) for path in missing]
        head = "\n".join(
            [
                _(
                    "**No recommendation yet.** VPSelect never recommends the procedure on "
                    "missing data (ruleset `%(version)s`). Still to answer:"
                )
                % {"version": version},
                "",
                *[f"1. {_escape(q)}" for q in questions],
                "",
                _("So far:"),
            ]
        )
    else:
        absolute = _findings(result, kind="absolute", status="met")
        rules = [f["rule"] for f in absolute] or [
            f["rule"] for f in _findings(result, kind="indication", status="not_met")
        ]
        reason = absolute[0]["text"] if absolute else _("no indication is met")
        if len(absolute) > 1:
            summary = _("Vertebroplasty not indicated: %(reason)s and %(more)s more") % {
                "reason": reason,
                "more": len(absolute) - 1,
            }
        else:
            summary = _("Vertebroplasty not indicated: %(reason)s") % {"reason": reason}
        head = (
            _(
                "**Not eligible**: an absolute contraindication is met "
                "(VPSelect ruleset `%(version)s`)."
            )
            if absolute
            else _(
                "**Not eligible**: none of the indications is met (VPSelect ruleset `%(version)s`)."
            )
        ) % {"version": version}
    detail = "\n".join([head, "", *_level_lines(result)])
    return summary, detail, rules


def advise_order(
    order: ServiceRequest,
    prefetched: Prefetched,
    *,
    today: date,
    launch_url: Callable[[uuid.UUID], str],
    reasons: list[dict],
    language: str = "",
) -> Advice:
    """The card for one draft vertebroplasty order, its texts in `language` (see
    card_language); what is stored with it (the case, the engine's result) stays as it is."""
    with translation.override(language or card_language()):
        return _advise_order(order, prefetched, today=today, launch_url=launch_url, reasons=reasons)


def _advise_order(
    order: ServiceRequest,
    prefetched: Prefetched,
    *,
    today: date,
    launch_url: Callable[[uuid.UUID], str],
    reasons: list[dict],
) -> Advice:
    mapped = case_from_resources(
        levels=order_levels(order),
        patient=prefetched.patient,
        observations=prefetched.observations,
        conditions=prefetched.conditions,
        today=today,
    )
    case, ignored = usable_case(mapped.case, today=today)
    thresholds = get_thresholds()
    if case["levels"]:
        result = evaluate(case, today=today, thresholds=thresholds)
        recommendation, missing = result["recommendation"], list(result["missing"])
        version = result["ruleset_version"]
    else:
        result, recommendation, missing = None, "incomplete", ["levels"]
        version = ruleset_version(thresholds)
    # Rule wording and reasons in the card's language (the stored result stays the engine's).
    shown = (
        localized_result(result, case=case, thresholds=thresholds, today=today)
        if result is not None
        else None
    )
    summary, detail, rules = _card_text(shown, case, missing)
    notes = _data_notes(ignored, prefetched, mapped.notes)
    if notes:
        detail += "\n\n" + _("About the EHR's data:") + "\n\n" + "\n".join(notes)
    detail += "\n\n" + _("_VPSelect supports the decision; it does not make it._")
    card_uuid, launch_id = uuid.uuid4(), uuid.uuid4()
    answer = recommendation == "incomplete"
    card = Card(
        uuid=str(card_uuid),
        summary=_summary(summary),
        detail=detail,
        indicator=INDICATOR[recommendation],
        source=Source(
            label=_("VPSelect (ruleset %(version)s)") % {"version": version}, topic=TOPIC
        ),
        overrideReasons=[Coding(**reason) for reason in reasons],
        links=[
            Link(
                label=(
                    _("Answer the questions in VPSelect")
                    if answer
                    else _("Open a prefilled referral in VPSelect")
                ),
                url=launch_url(launch_id),
                type="absolute",
            )
        ],
    )
    return Advice(
        card=card,
        card_uuid=card_uuid,
        launch_id=launch_id,
        case=case,
        result=result,
        recommendation=recommendation,
        rules=rules,
        missing=missing,
        ignored=ignored,
        patient_details=patient_details(prefetched.patient),
        ruleset_version=version,
    )


def _mrn(patient: Patient) -> str | None:
    identifiers = list(patient.identifier or [])
    for identifier in identifiers:
        type_codes = (
            [(c.system, c.code) for c in (identifier.type.coding or [])]
            if (identifier.type)
            else []
        )
        if (codes.V2_0203, "MR") in type_codes and identifier.value:
            return identifier.value
    for identifier in identifiers:
        if (identifier.system or "").startswith(codes.mrn_system("")) and identifier.value:
            return identifier.value
    if len(identifiers) == 1 and identifiers[0].value:
        return identifiers[0].value
    return None


def patient_details(patient: Patient | None) -> dict:
    """What the launch needs to find or register the patient; absent details are left out."""
    if patient is None:
        return {}
    details: dict = {}
    mrn = _mrn(patient)
    if mrn:
        details["mrn"] = mrn
    names = list(patient.name or [])
    name = next((n for n in names if n.use in ("official", "usual")), names[0] if names else None)
    if name is not None:
        if name.family:
            details["family_name"] = name.family
        # A given name part may be a null that only carries an extension (an initial, say).
        given = [part for part in name.given or [] if part]
        if given:
            details["given_name"] = " ".join(given)
    if patient.gender in ("female", "male", "other"):
        details["sex"] = patient.gender
    birth_date = patient.birthDate
    if isinstance(birth_date, date):
        details["date_of_birth"] = birth_date.isoformat()
    return details


def advise(
    request: HookRequest,
    context: OrderSignContext,
    *,
    today: date,
    launch_url: Callable[[uuid.UUID], str],
    reasons: list[dict],
    language: str = "",
) -> list[Advice]:
    """The advice for every draft vertebroplasty order of the request (none: no cards)."""
    orders = vertebroplasty_orders(request.hook, context)
    if not orders:
        return []
    prefetched = read_prefetch(request.prefetch, context.patientId)
    return [
        advise_order(
            order,
            prefetched,
            today=today,
            launch_url=launch_url,
            reasons=reasons,
            language=language,
        )
        for order in orders
    ]
