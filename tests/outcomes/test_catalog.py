"""The Italian catalog: complete, placeholders kept, and the committed .mo built from the .po.

The .mo is committed so a fresh clone needs no gettext tools; this test fails when the .po
was edited without `manage.py compilemessages -l it` (which needs Debian's gettext).
"""

import re
from pathlib import Path

import polib
from django.utils import translation

from outcomes.questionnaires import QUESTIONNAIRES

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "it" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def entries(catalog) -> dict:
    result = {}
    for entry in catalog:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            value = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
        else:
            value = entry.msgstr
        result[(entry.msgctxt, entry.msgid)] = value
    return result


def test_every_italian_entry_is_translated_and_keeps_its_placeholders():
    po = polib.pofile(str(CATALOG / "django.po"))

    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) <= set(
                PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or ""))
            ), entry.msgid


def test_committed_mo_matches_the_po():
    po = entries(polib.pofile(str(CATALOG / "django.po")))
    mo = entries(polib.mofile(str(CATALOG / "django.mo")))

    mo.pop((None, ""), None)  # the header
    assert mo == po


def test_every_question_and_answer_reads_in_italian():
    for questionnaire in QUESTIONNAIRES.values():
        for question in questionnaire.questions:
            texts = [question.text, *(option.label for option in question.options)]
            with translation.override("en"):
                english = [str(text) for text in texts]
            with translation.override("it"):
                italian = [str(text) for text in texts]
            changed = [e != i for e, i in zip(english, italian, strict=True) if e != "No"]
            assert all(changed), (english, italian)
