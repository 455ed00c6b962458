"""The intake speaks the reader's language: question labels, hints, errors and the date
placeholder in Italian for an Italian user, in English for an English one, whoever came first."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Preferences
from accounts.roles import Role

from .conftest import case_form_data, eligible_case, page

pytestmark = pytest.mark.django_db

# (English, Italian) of what the intake shows, from locale/it/LC_MESSAGES/django.po.
LABEL = (
    "Is the pain controlled by, or improving on, conservative medical therapy?",
    "Il dolore è controllato, o in miglioramento, con la terapia medica conservativa?",
)
LEVEL_LABEL = (
    "Pain attributed to this level (NRS 0–10)",
    "Dolore attribuito a questo livello (NRS 0–10)",
)
HINT = ("Analgesics, bracing, rest.", "Analgesici, busto ortopedico, riposo.")
THRESHOLD_HINT = "Severe is 7 or more; 0 means no pain."  # worded with the thresholds in force
PLACEHOLDER = ('placeholder="dd/mm/yyyy"', 'placeholder="gg/mm/aaaa"')
# The patient of make_patient was born on 14 March 1946: the error writes it as the language does.
BEFORE_BIRTH = (
    "This date is before the patient's date of birth (14 Mar 1946).",
    "Questa data è precedente alla data di nascita del paziente (14 marzo 1946).",
)
DATE_IN_FUTURE = ("This date is in the future.", "Questa data è nel futuro.")


def _reader(client, user, language: str):
    Preferences.objects.update_or_create(user=user, defaults={"language": language})
    client.force_login(user)
    return client


def _intake(client, patient) -> str:
    return page(client.get(reverse("patients:referral-create", args=[patient.pk])))


def _refused(client, patient, fracture_date: str) -> str:
    data = case_form_data(eligible_case(timezone.localdate()), action="submit")
    data["levels-0-fracture_date"] = fracture_date
    response = client.post(reverse("patients:referral-create", args=[patient.pk]), data)
    assert response.status_code == 400
    return page(response)


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_intake_asks_in_the_readers_language_and_not_the_other(
    client, physician, make_patient, language
):
    shown = 0 if language == "en" else 1
    patient = make_patient(physician)

    html = _intake(_reader(client, physician, language), patient)

    assert f'<html lang="{language}"' in html
    for pair in (LABEL, HINT, PLACEHOLDER):
        assert pair[shown] in html, pair[shown]
        assert pair[1 - shown] not in html, pair[1 - shown]


@pytest.mark.parametrize("language", ["it", "en"])
def test_level_questions_and_date_errors_are_in_the_readers_language_and_date_format(
    client, physician, make_patient, language
):
    shown = 0 if language == "en" else 1
    patient = make_patient(physician)
    reader = _reader(client, physician, language)

    before_birth = _refused(reader, patient, "1900-01-01")
    in_future = _refused(reader, patient, "2999-01-01")

    for pair in (LEVEL_LABEL, BEFORE_BIRTH, PLACEHOLDER):
        assert pair[shown] in before_birth, pair[shown]
        assert pair[1 - shown] not in before_birth, pair[1 - shown]
    assert "(1946-03-14)" not in before_birth  # never the ISO date in the sentence
    assert DATE_IN_FUTURE[shown] in in_future
    assert DATE_IN_FUTURE[1 - shown] not in in_future


def test_an_italian_reader_first_does_not_leave_italian_for_the_english_reader_next(
    client, physician, make_patient, make_user
):
    """The intake's labels are built once and cached: they stay lazy, read per request."""
    from patients.intake import _level_labels, _referral_labels

    _level_labels.cache_clear()
    _referral_labels.cache_clear()
    italian = _refused(_reader(client, physician, "it"), make_patient(physician), "1900-01-01")
    client.logout()
    colleague = make_user(Role.PHYSICIAN, username="dr-english")
    english = _refused(_reader(client, colleague, "en"), make_patient(colleague), "1900-01-01")

    for pair in (LABEL, HINT, LEVEL_LABEL, PLACEHOLDER, BEFORE_BIRTH):
        assert pair[1] in italian and pair[0] not in italian, pair
        assert pair[0] in english and pair[1] not in english, pair
    assert THRESHOLD_HINT in english
