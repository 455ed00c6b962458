"""CDS card texts in the language the hook request's Accept-Language or a setting names; what
is stored with the card (the engine's result) stays the engine's English."""

import json

import pytest
from django.urls import reverse

from interop.cds import card_language
from interop.models import CdsEvaluation

pytestmark = pytest.mark.django_db


def _post(client, cds_token, body, **headers):
    return client.post(
        reverse("interop:cds-service"),
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {cds_token}", **headers},
    )


def test_cards_follow_the_hook_requests_accept_language(client, cds_token, hook_body):
    response = _post(
        client, cds_token, hook_body("order-sign-eligible.json"), **{"Accept-Language": "it-IT"}
    )
    (card,) = response.json()["cards"]

    assert card["summary"] == "Vertebroplastica a L2: idoneo secondo le regole di VPSelect"
    assert "*Osteoporosi severa dolorosa*" in card["detail"]
    assert "indicazione soddisfatta" in card["detail"]
    assert (
        card["links"][0]["label"] == "Aprire in VPSelect una richiesta di valutazione precompilata"
    )
    stored = CdsEvaluation.objects.get()
    assert stored.result["levels"][0]["findings"][0]["text"] == "Severe painful Osteoporosis"


def test_without_a_language_the_setting_names_it(client, cds_token, hook_body, settings):
    settings.VPSELECT_CDS_LANGUAGE = "it"
    (card,) = _post(client, cds_token, hook_body("order-sign-eligible.json")).json()["cards"]
    assert card["summary"].startswith("Vertebroplastica a L2")
    settings.VPSELECT_CDS_LANGUAGE = ""
    settings.VPSELECT_CLINIC_LANGUAGE = "en"
    (card,) = _post(client, cds_token, hook_body("order-sign-eligible.json")).json()["cards"]
    assert card["summary"] == "Vertebroplasty at L2: eligible by VPSelect's rules"


def test_card_language_takes_the_first_supported_language(settings):
    settings.VPSELECT_CDS_LANGUAGE = ""
    settings.VPSELECT_CLINIC_LANGUAGE = "en"
    assert card_language("fr-FR,it;q=0.8,en;q=0.5") == "it"
    assert card_language("de") == "en"
    assert card_language("") == "en"
