import uuid

import pytest
from django.urls import reverse

from interop.models import CdsEvaluation, CdsFeedback
from interop.selectors import cds_override_counts
from interop.services import UNKNOWN_CARD

ISSUED = "the issued card's uuid"
WHEN = "2026-11-20T00:00:00Z"


@pytest.fixture
def issued_card(post_hook, hook_body):
    """The critical card of the not-eligible sample request."""
    (card,) = post_hook(hook_body("order-sign-not-eligible.json")).json()["cards"]
    return card


@pytest.fixture
def post_feedback(post_hook):
    def post(body, **kwargs):
        return post_hook(body, path=reverse("interop:cds-feedback"), **kwargs)

    return post


@pytest.mark.django_db
def test_override_with_an_offered_reason_is_recorded_against_the_evaluation(
    issued_card, post_feedback
):
    reason = issued_card["overrideReasons"][0]
    response = post_feedback(
        {
            "feedback": [
                {
                    "card": issued_card["uuid"],
                    "outcome": "overridden",
                    "overrideReason": {
                        "reason": {"system": reason["system"], "code": reason["code"]},
                        "userComment": "Discussed at the spine board.",
                    },
                    "outcomeTimestamp": "2026-11-20T10:05:31Z",
                }
            ]
        }
    )
    assert response.status_code == 200
    assert response.json() == {"recorded": 1}
    feedback = CdsFeedback.objects.select_related("evaluation").get()
    assert feedback.evaluation == CdsEvaluation.objects.get(card_uuid=issued_card["uuid"])
    assert feedback.outcome == "overridden"
    assert (feedback.reason_code, feedback.reason_offered) == (reason["code"], True)
    assert feedback.user_comment == "Discussed at the spine board."
    assert feedback.outcome_at.isoformat() == "2026-11-20T10:05:31+00:00"


@pytest.mark.django_db
def test_override_without_reason_and_with_the_clients_own_reason(issued_card, post_feedback):
    items = [
        {
            "card": issued_card["uuid"],
            "outcome": "overridden",
            "outcomeTimestamp": "2026-11-20T00:00:00Z",
        },
        {
            "card": issued_card["uuid"],
            "outcome": "overridden",
            "overrideReason": {"reason": {"code": "d7ecf885", "system": "https://ehr.example"}},
            "outcomeTimestamp": "2026-11-20T00:01:00Z",
        },
    ]
    assert post_feedback({"feedback": items}).status_code == 200
    recorded = list(CdsFeedback.objects.order_by("outcome_at"))
    assert [(f.reason_code, f.reason_offered) for f in recorded] == [
        ("", False),
        ("d7ecf885", False),
    ]


@pytest.mark.django_db
def test_accepted_feedback_is_recorded(issued_card, post_feedback):
    response = post_feedback(
        {
            "feedback": [
                {
                    "card": issued_card["uuid"],
                    "outcome": "accepted",
                    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
                    "outcomeTimestamp": "2026-11-20T10:05:31Z",
                }
            ]
        }
    )
    assert response.status_code == 200
    feedback = CdsFeedback.objects.get()
    assert feedback.outcome == "accepted"
    assert feedback.accepted_suggestions == ["e56e1945-20b3-4393-8503-a1a20fd73152"]


@pytest.mark.django_db
def test_feedback_on_an_unknown_card_stores_nothing_and_names_it(issued_card, post_feedback):
    items = [
        {"card": issued_card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN},
        {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": WHEN},
    ]
    response = post_feedback({"feedback": items})
    assert response.status_code == 404
    issue = response.json()["issue"][0]
    assert (issue["details"]["text"], issue["expression"]) == (UNKNOWN_CARD, ["feedback[1].card"])
    assert not CdsFeedback.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"outcome": "overridden", "outcomeTimestamp": WHEN}, "feedback[0].card"),
        (
            {"card": "not-a-uuid", "outcome": "overridden", "outcomeTimestamp": WHEN},
            "feedback[0].card",
        ),
        ({"card": ISSUED, "outcome": "ignored", "outcomeTimestamp": WHEN}, "feedback[0].outcome"),
        (
            {"card": ISSUED, "outcome": "overridden", "outcomeTimestamp": "2026-11-20T00:00:00"},
            "feedback[0].outcomeTimestamp",
        ),
        (
            {"card": ISSUED, "outcome": "overridden", "outcomeTimestamp": 1700000000},
            "feedback[0].outcomeTimestamp",
        ),
        (
            {
                "card": ISSUED,
                "outcome": "overridden",
                "outcomeTimestamp": WHEN,
                "overrideReason": {"reason": {"system": "x"}},
            },
            "feedback[0].overrideReason.reason.code",
        ),
        (
            {
                "card": ISSUED,
                "outcome": "overridden",
                "outcomeTimestamp": WHEN,
                "overrideReason": {"userComment": "a\u0000b"},
            },
            "feedback[0].overrideReason.userComment",
        ),
    ],
)
def test_malformed_feedback_gets_400_naming_the_field(issued_card, post_feedback, item, field):
    if item.get("card") == ISSUED:
        item = {**item, "card": issued_card["uuid"]}
    response = post_feedback({"feedback": [item]})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [field]
    assert not CdsFeedback.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"nonsense", b"[]", {"feedback": []}, {"feedback": "x"}])
def test_feedback_that_is_not_a_feedback_list_gets_400(post_feedback, cds_token, body):
    assert post_feedback(body).status_code == 400


@pytest.mark.django_db
def test_override_counts_per_rule_count_each_card_once(
    issued_card, post_feedback, post_hook, hook_body
):
    post_hook(hook_body("order-sign-eligible.json"))
    item = {"card": issued_card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN}
    post_feedback({"feedback": [item, item]})
    counts = cds_override_counts()
    assert counts["CI-INFECTION"] == {"cards": 1, "overridden": 1, "accepted": 0}
    assert counts["IND-OSTEOPOROSIS"] == {"cards": 1, "overridden": 0, "accepted": 0}
