"""Rule wording and reasons for people, in the active language, from the app's catalog.

The engine's result stays English (the spec's); these tests check the translated reading:
the catalog is complete, its English is the engine's own, values are written in the
language's formats, and the evidence page shows every rule with the seed's wording.
"""

import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from eligibility import i18n
from eligibility.engine import (
    DEFAULT_THRESHOLDS,
    PLURAL_TEMPLATES,
    REASON_TEMPLATES,
    RULES,
    RULES_BY_ID,
    THRESHOLD_NAMES,
    THRESHOLD_SOURCES,
    THRESHOLD_UNITS,
    evaluate,
)
from eligibility.engine.facts import INPUT_LABELS
from eligibility.seed import SEED_PATH
from tests.eligibility.engine.builders import SEED_PATH as SHARED_SEED_PATH
from tests.eligibility.engine.builders import SHARED_HELP, TODAY, make_case, make_level_case
from tests.factories import case_with, make_referral

REPO = Path(__file__).resolve().parents[2]
# The app catalogs this work owns (the root catalog in locale/ is tested by test_catalog.py).
APP_CATALOGS = sorted(REPO.glob("*/locale/it/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def shown(case: dict, language: str) -> dict:
    result = evaluate(case, today=TODAY)
    with translation.override(language):
        return i18n.localized_result(result, case=case, thresholds=DEFAULT_THRESHOLDS, today=TODAY)


def finding(result: dict, rule_id: str, level: int = 0) -> dict:
    return next(f for f in result["levels"][level]["findings"] if f["rule"] == rule_id)


# --- The catalogs ---------------------------------------------------------------------------


def test_the_app_catalogs_are_found():
    assert REPO / "eligibility/locale/it/LC_MESSAGES/django.po" in APP_CATALOGS


@pytest.mark.parametrize("po_path", APP_CATALOGS, ids=lambda path: path.parts[-5])
def test_every_italian_entry_is_translated_not_fuzzy_and_keeps_its_placeholders(po_path):
    po = polib.pofile(str(po_path))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert len(po.translated_entries()) > 10
    for entry in po.translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == wanted, entry.msgid


@pytest.mark.parametrize("po_path", APP_CATALOGS, ids=lambda path: path.parts[-5])
def test_the_committed_mo_is_compiled_from_the_po(po_path):
    def entries(catalog):
        return {
            (e.msgctxt, e.msgid): (dict(e.msgstr_plural) if e.msgid_plural else e.msgstr)
            for e in catalog
            if not e.obsolete and e.msgid
        }

    po = polib.pofile(str(po_path))
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    assert entries(mo) == entries(po)


def test_the_catalogs_english_is_the_engines_own():
    with translation.override("en"):
        for code, template in REASON_TEMPLATES.items():
            assert str(i18n.REASON_MESSAGES[code]) == template, code
        assert set(i18n.REASON_MESSAGES) == set(REASON_TEMPLATES)
        for code, (_, singular, plural) in PLURAL_TEMPLATES.items():
            assert i18n.PLURAL_MESSAGES[code](1) == singular
            assert i18n.PLURAL_MESSAGES[code](2) == plural
        for rule in RULES:
            assert i18n.rule_text(rule.id) == rule.text
            assert str(i18n.RULE_CRITERIA[rule.id]) == rule.criterion
        assert {name: str(label) for name, label in i18n.INPUT_LABELS.items()} == INPUT_LABELS
        for name in THRESHOLD_NAMES:
            assert i18n.unit_text(name) == THRESHOLD_UNITS[name]
            assert i18n.source_text(name) == THRESHOLD_SOURCES[name]


def test_every_rule_and_reason_reads_differently_in_italian():
    with translation.override("it"):
        for rule in RULES:
            assert i18n.rule_text(rule.id) != rule.text, rule.id
        for code, template in REASON_TEMPLATES.items():
            assert str(i18n.REASON_MESSAGES[code]) != template, code


# --- Reasons rendered -----------------------------------------------------------------------


def test_italian_reasons_write_numbers_the_italian_way():
    result = shown(make_case(inr=1.6, platelets=42.5), "it")
    coagulation = finding(result, "CI-COAGULOPATHY")

    assert coagulation["text"] == "Disturbi della coagulazione non corretti"
    assert coagulation["seed_text"] == "Uncorrected coagulation disorders"
    assert coagulation["reason"] == (
        "Coagulazione non corretta: INR 1,6 superiore a 1,5 e piastrine 42,5 ×10⁹/L inferiori a 50."
    )
    assert coagulation["reason_en"] == (
        "Coagulation not corrected: INR 1.6 above 1.5 and platelets 42.5 ×10⁹/L below 50."
    )


def test_italian_reasons_name_missing_answers_and_vocabulary_in_italian():
    result = shown(make_level_case(etiology=None, pain_nrs=None), "it")
    assert finding(result, "IND-OSTEOPOROSIS")["reason"] == (
        "Dati non registrati: eziologia e dolore NRS."
    )
    allergy = shown(make_case(allergies=["cement", "contrast"]), "it")
    assert finding(allergy, "CI-ALLERGY")["reason"] == (
        "Allergia a: cemento osseo e mezzo di contrasto."
    )
    tumour = shown(make_level_case(etiology="metastasis", pain_nrs=5), "it")
    assert finding(tumour, "IND-TUMOR")["reason"] == (
        "Metastasi con dolore NRS 5 (dolore presente da 1) e frattura."
    )


def test_italian_dates_are_written_in_the_italian_date_format():
    case = make_level_case(fracture=True, imaging_acute=False, fracture_date="2024-01-02")
    reason = finding(shown(case, "it"), "RCI-OLD-STABLE")["reason"]
    assert reason.startswith("Frattura del 02 gennaio 2024 risalente a ")


def test_english_reading_equals_the_engines_sentence():
    case = make_case(inr=1.6, allergies=["cement"], radicular_pain=None)
    result = evaluate(case, today=TODAY)
    english = shown(case, "en")
    for level, shown_level in zip(result["levels"], english["levels"], strict=True):
        for engine_finding, shown_finding in zip(
            level["findings"], shown_level["findings"], strict=True
        ):
            assert shown_finding["reason"] == engine_finding["reason"]
            assert shown_finding["text"] == engine_finding["text"]


def test_the_engines_result_is_left_as_it_is():
    case = make_case(inr=1.6)
    result = evaluate(case, today=TODAY)
    before = repr(result)
    with translation.override("it"):
        i18n.localized_result(result, case=case, thresholds=DEFAULT_THRESHOLDS, today=TODAY)
    assert repr(result) == before


def test_a_reason_that_cannot_be_reproduced_stays_in_the_stored_english():
    case = make_case(inr=1.6)
    result = evaluate(case, today=TODAY)
    result["levels"][0]["findings"][6]["reason"] = "A sentence of another release."
    with translation.override("it"):
        other_thresholds = i18n.localized_result(
            evaluate(case, today=TODAY),
            case=case,
            thresholds=DEFAULT_THRESHOLDS.__class__(inr_max=1.8),
            today=TODAY,
        )
        altered = i18n.localized_result(
            result, case=case, thresholds=DEFAULT_THRESHOLDS, today=TODAY
        )
    assert altered["levels"][0]["findings"][6]["reason"] == "A sentence of another release."
    assert altered["levels"][0]["findings"][0]["reason"].startswith("Frattura osteoporotica")
    coagulation = finding(other_thresholds, "CI-COAGULOPATHY")
    assert coagulation["reason"] == coagulation["reason_en"]
    assert coagulation["text"] == "Disturbi della coagulazione non corretti"


def test_a_stored_evaluation_is_shown_in_the_active_language(db, physician):
    referral = make_referral(physician=physician, case=case_with(inr=1.6), submit=True)
    evaluation = referral.latest_evaluation
    with translation.override("it"):
        result = evaluation.localized_result()
    assert finding(result, "CI-COAGULOPATHY")["reason"].startswith(
        "Coagulazione non corretta: INR 1,6"
    )
    assert evaluation.result["levels"][0]["findings"][6]["reason"].startswith(
        "Coagulation not corrected: INR 1.6"
    )


def test_a_stored_evaluation_works_its_reading_out_once_per_language(db, physician, monkeypatch):
    """The summary reads the result twice (its levels, its verdict): one rendering each
    language, and the English reading never stands in for the Italian one."""
    evaluation = make_referral(
        physician=physician, case=case_with(inr=1.6), submit=True
    ).latest_evaluation
    calls = []
    real = i18n.evaluation_result
    monkeypatch.setattr(i18n, "evaluation_result", lambda e: calls.append(e) or real(e))

    with translation.override("en"):
        english = evaluation.localized_result()
        assert evaluation.localized_result() is english
    with translation.override("it"):
        italian = evaluation.localized_result()

    assert len(calls) == 2
    assert finding(italian, "CI-COAGULOPATHY")["reason"].startswith("Coagulazione non corretta")
    assert finding(english, "CI-COAGULOPATHY")["reason"].startswith("Coagulation not corrected")


# --- The evidence page ----------------------------------------------------------------------


def test_the_shipped_source_document_is_the_seed():
    if not SHARED_SEED_PATH.is_file():
        pytest.fail(SHARED_HELP.format(path=SHARED_SEED_PATH))
    assert SEED_PATH.read_text(encoding="utf-8") == SHARED_SEED_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_evidence_page_with_an_anchor_per_rule(make_user, client, role):
    client.force_login(make_user(role))
    page = client.get(reverse("governance:rules")).content.decode()
    for rule in RULES:
        assert f'id="rule-{rule.id}"' in page
    assert "Polymethylmethacrylate" in page or "polymethylmethacrylate" in page
    assert "SIR 2019 consensus: consider transfusion below 50 ×10⁹/L" in page


def test_the_evidence_page_needs_a_login(client):
    response = client.get(reverse("governance:rules"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_evidence_page_in_italian_keeps_the_seeds_english_beside_the_translation(
    make_user, client, settings
):
    settings.LANGUAGE_CODE = "it"
    client.force_login(make_user(Role.PHYSICIAN))
    page = client.get(reverse("governance:rules")).content.decode()
    section = page[page.index('id="rule-CI-COAGULOPATHY"') :]
    section = section[: section.index("</article>")]
    assert "Disturbi della coagulazione non corretti" in section
    assert '<q lang="en">Uncorrected coagulation disorders</q>' in section
    assert "INR_MAX" in section and "1,5" in section
    assert "Informazioni su queste regole" in page
    assert '<blockquote class="border-start ps-3 mt-2 small" lang="en">' in page
    assert RULES_BY_ID["CI-COAGULOPATHY"].criterion not in page
