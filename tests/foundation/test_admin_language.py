"""What the Django admin shows of VPSelect's apps (their names, the fields' help texts, the
CDS choices and the models' refusals) reads in the administrator's language."""

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise

from audit.models import AuditEvent
from eligibility.models import Evaluation
from interop.models import CdsEvaluation, CdsFeedback


def _admin_texts():
    for label in settings.LOCAL_APPS:
        config = apps.get_app_config(label)
        yield f"{label} app name", config.verbose_name
        for model in config.get_models():
            for field in model._meta.concrete_fields:
                if field.help_text:
                    yield f"{model.__name__}.{field.name} help text", field.help_text


@pytest.mark.parametrize(("where", "text"), list(_admin_texts()))
def test_app_names_and_help_texts_are_marked_and_read_in_italian(where, text):
    assert isinstance(text, Promise), f"{where} is not marked for translation: {text!r}"
    with translation.override("en"):
        english = str(text)
    with translation.override("it"):
        italian = str(text)
    assert italian != english, f"{where} has no Italian translation: {english!r}"


def test_the_cds_indicators_and_feedback_outcomes_read_in_italian():
    with translation.override("it"):
        indicators = [str(label) for label in CdsEvaluation.Indicator.labels]
        outcomes = [str(label) for label in CdsFeedback.Outcome.labels]

    assert indicators == ["Informazione", "Avvertenza", "Criticità"]
    assert outcomes == ["Accettata", "Non seguita"]


@pytest.mark.parametrize(
    ("record", "italian"),
    [
        (Evaluation(), "Le valutazioni non si possono modificare né eliminare."),
        (CdsEvaluation(), "Le valutazioni CDS non si possono modificare"),
        (AuditEvent(), "Gli eventi del registro di audit si possono solo aggiungere"),
    ],
    ids=["evaluation", "cds-evaluation", "audit-event"],
)
def test_an_immutable_record_refuses_deletion_in_the_readers_language(record, italian):
    with pytest.raises(ValidationError) as refusal:
        record.delete()

    with translation.override("it"):
        assert refusal.value.messages[0].startswith(italian)
