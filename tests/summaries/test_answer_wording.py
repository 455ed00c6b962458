"""One answer, one wording: the physician's page, the review page, the print page and the PDF
say each answer of a referral with the same label and the same words (patients.vocabulary)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.roles import Role
from patients import vocabulary
from patients.services import LevelAnswers, referral_save_and_submit
from reviews.services import referral_claim
from summaries.models import SummaryDocument
from tests.factories import case_with

from .conftest import LEVEL_L1, LEVEL_L2, LEVEL_T12, pdf_pages

pytestmark = pytest.mark.django_db

# Unknown answers, a follow-up not asked, none known, decimals and units, a date.
WORDED_CASE = case_with(
    inr=1.15,
    platelets=210,
    radicular_pain=None,
    radicular_cause=None,
    coagulopathy=False,
    coagulopathy_corrected=None,
    allergies=[],
    levels=[LEVEL_T12, LEVEL_L1, LEVEL_L2],
)


def _cell_pattern(opening: str, closing: str, label: str, value: str) -> re.Pattern:
    """A label cell followed by its value cell, the value cell's attributes left open."""
    head, tail = closing.split("|")
    return re.compile(
        re.escape(f"{opening}{escape(label)}{head}")
        + r"[^>]*>"
        + re.escape(f"{escape(value)}{tail}")
    )


def _pages(client, physician, radiologist, referral) -> dict[str, str]:
    client.force_login(physician)
    physician_page = client.get(reverse("patients:referral-detail", args=[referral.pk]))
    client.force_login(radiologist)
    review_page = client.get(reverse("reviews:review", args=[referral.pk]))
    print_page = client.get(reverse("summaries:referral-summary", args=[referral.pk]))
    for response in (physician_page, review_page, print_page):
        assert response.status_code == 200
    return {
        "physician": physician_page.content.decode(),
        "review": review_page.content.decode(),
        "print": print_page.content.decode(),
    }


def test_each_referral_answer_is_worded_the_same_on_every_page_and_in_the_pdf(
    client,
    physician,
    radiologist,
    submitted_referral,
    decide,
    django_capture_on_commit_callbacks,
):
    referral = submitted_referral(case=WORDED_CASE)
    with django_capture_on_commit_callbacks(execute=True):
        decide(referral, outcome="request_information", levels=(), reason="needs-answer")
    pages = _pages(client, physician, radiologist, referral)
    document = SummaryDocument.objects.get(referral=referral)
    with document.file.open("rb") as stored:
        pdf_text = " ".join(pdf_pages(stored.read()))

    expected = vocabulary.referral_answers(referral)
    shown = {answer.name: answer.value for answer in expected}
    # The case was chosen so that every kind of wording is checked.
    assert shown["radicular_pain"] == "Unknown"
    assert shown["coagulopathy_corrected"] == "Not applicable"
    assert shown["allergies"] == "None known"
    assert shown["inr"] == "1.15"
    assert shown["platelets"] == "210"
    for answer in expected:
        cells = {
            "physician": _cell_pattern('class="fw-normal">', "</th><td|</td>", *_pair(answer)),
            "review": _cell_pattern('<dt class="col-sm-4">', "</dt><dd|</dd>", *_pair(answer)),
            "print": _cell_pattern('<th scope="row">', "</th><td|</td>", *_pair(answer)),
        }
        for page, pattern in cells.items():
            assert pattern.search(pages[page]), (page, answer)
        assert f"{answer.label} {answer.value}" in pdf_text, answer


def _pair(answer) -> tuple[str, str]:
    return answer.label, answer.value


def test_a_level_answer_is_worded_the_same_on_every_page(
    client, physician, radiologist, submitted_referral
):
    referral = submitted_referral(case=WORDED_CASE)
    pages = _pages(client, physician, radiologist, referral)
    label = "Spinal canal compromise (%)"
    assert re.search(re.escape(f'class="fw-normal">{label}</th><td>35</td>'), pages["physician"])
    assert re.search(re.escape(f'<th scope="row">{label}</th><td>35</td>'), pages["print"])
    # The review page tabulates the levels: the column headed by the label holds the answer.
    review = pages["review"]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', review)
    column = headers.index(label) - 1  # the first column is the level itself
    l1_row = re.search(r'<tr><th scope="row">L1</th>(.*?)</tr>', review).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", l1_row)[column] == "35"


def test_change_history_and_what_changed_read_as_labels_and_words(
    client, physician, radiologist, submitted_referral, decide
):
    referral = submitted_referral(case=WORDED_CASE)
    decide(referral, outcome="request_information", levels=(), reason="needs-answer")
    referral.refresh_from_db()
    # The physician answers: L1's canal compromise was overestimated, and resubmits.
    level = referral.levels.get(level="L1")
    referral_save_and_submit(
        patient=referral.patient,
        referral=referral,
        by=physician,
        answers={},
        levels=[
            LevelAnswers(
                row.pk, {"canal_compromise_pct": Decimal(25)} if row.pk == level.pk else {}
            )
            for row in referral.levels.all()
        ],
        today=referral.submitted_at.date(),
    )
    pages = _pages(client, physician, radiologist, referral)
    for page in ("physician", "review"):
        html = pages[page]
        assert "L1 · Spinal canal compromise (%)" in html, page
        assert "canal_compromise_pct" not in html, page
        assert "under_review" not in html, page
    assert "Status: Submitted → Under review" in pages["review"]
    assert "Version: " in pages["review"] and "version:" not in pages["review"]
    assert "Spinal canal compromise (%): 35 → 25" in pages["physician"]  # the level's history


def test_hostile_values_are_escaped_on_every_page(
    client, physician, radiologist, submitted_referral, make_user
):
    referral = submitted_referral(case=WORDED_CASE)
    hostile = "<img src=x onerror=alert(1)>"
    # Values no form would store (a legacy row, an import): shown as stored, escaped.
    short = "<b>E&O</b>"  # the etiology column holds 16 characters
    referral.levels.filter(level="L1").update(etiology=short)
    type(referral).objects.filter(pk=referral.pk).update(allergies=[hostile])
    intruder = make_user(Role.RADIOLOGIST, username="ir-x", first_name=hostile)
    referral_claim(referral=referral, by=intruder)
    pages = _pages(client, physician, radiologist, referral)
    for page, html in pages.items():
        assert hostile not in html and short not in html, page
    for page in ("physician", "review"):
        assert escape(hostile) in pages[page], page
        assert escape(short) in pages[page], page
    assert f"Assigned radiologist: — → {escape(hostile)} Tester" in pages["review"]
