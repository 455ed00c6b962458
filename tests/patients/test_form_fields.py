"""The intake forms' fields: copied per form (choices shared), labelled from the questions."""

from datetime import date

import pytest
from django.utils import translation

from patients.intake import ReferralAnswersForm, TargetLevelForm
from patients.questions import level_questions, referral_questions

TODAY = date(2026, 11, 24)


def _level_form(**kwargs) -> TargetLevelForm:
    return TargetLevelForm(today=TODAY, date_of_birth=None, **kwargs)


@pytest.mark.parametrize("make", [ReferralAnswersForm, _level_form])
def test_each_form_has_its_own_fields_and_widgets(make):
    first, second = make(), make()
    form_class = type(first)
    assert list(first.fields) == list(form_class.base_fields)
    for name, declared in form_class.base_fields.items():
        mine, theirs = first.fields[name], second.fields[name]
        assert mine is not declared and mine is not theirs
        assert type(mine) is type(declared) and type(mine.widget) is type(declared.widget)
        assert mine.widget is not declared.widget and mine.widget is not theirs.widget
        assert mine.widget.attrs is not theirs.widget.attrs
        assert mine.error_messages == declared.error_messages
        assert mine.error_messages is not declared.error_messages
        assert mine.validators == declared.validators
        assert mine.validators is not declared.validators
        if hasattr(declared, "choices"):
            assert list(mine.choices) == list(declared.choices)
            assert list(mine.widget.choices) == list(declared.widget.choices)

    # A change to one form's field is that form's only.
    name = next(iter(first.fields))
    first.fields[name].widget.attrs["autofocus"] = True
    first.fields[name].label = "Changed"
    first.fields[name].error_messages["required"] = "Changed"
    assert "autofocus" not in second.fields[name].widget.attrs
    assert "autofocus" not in form_class.base_fields[name].widget.attrs
    assert second.fields[name].label != "Changed"
    assert form_class.base_fields[name].error_messages.get("required") != "Changed"


def test_fields_are_labelled_and_explained_by_their_questions():
    answers, level = ReferralAnswersForm(), _level_form()
    questions = referral_questions()
    for name, question in questions.items():
        field = answers.fields["allergy_status" if name == "allergies" else name]
        assert (field.label, field.help_text) == (question.label, question.help_text)
    assert answers.fields["allergies"].label == questions["allergies"].label
    assert answers.fields["allergies"].help_text == ""
    for name, question in level_questions().items():
        field = level.fields[name]
        assert (field.label, field.help_text) == (question.label, question.help_text)


def test_help_texts_follow_the_thresholds_in_force(settings):
    settings.VPSELECT_THRESHOLDS = {"SEVERE_PAIN_NRS": 6}
    assert "Severe is 6 or more" in _level_form().fields["pain_nrs"].help_text
    settings.VPSELECT_THRESHOLDS = {}
    assert "Severe is 7 or more" in _level_form().fields["pain_nrs"].help_text


def test_bound_forms_validate_with_the_shared_choices():
    level = _level_form(data={"level": "L2", "etiology": "myeloma", "fracture": "yes"})
    assert level.is_valid(), level.errors
    assert level.cleaned_data["level"] == "L2" and level.cleaned_data["fracture"] is True
    refused = _level_form(data={"level": "L9", "etiology": "nope"})
    assert not refused.is_valid()
    assert set(refused.errors) == {"level", "etiology"}
    assert "is-invalid" in refused.fields["level"].widget.attrs["class"]
    assert "is-invalid" not in _level_form().fields["level"].widget.attrs["class"]


def test_a_form_built_first_in_italian_still_explains_in_english_to_the_next_reader():
    """The labels are cached per thresholds; the hints in them stay lazy, so the language of
    whoever built the first form does not stick to everyone after."""
    from patients.intake import _level_labels, _referral_labels

    _level_labels.cache_clear()
    _referral_labels.cache_clear()
    with translation.override("it"):
        italian = _level_form().fields["pain_nrs"].help_text
        assert str(italian) != "Severe is 7 or more; 0 means no pain."
        italian_rest = str(
            ReferralAnswersForm().fields["pain_controlled_by_medical_therapy"].help_text
        )
    with translation.override("en"):
        assert str(_level_form().fields["pain_nrs"].help_text) == (
            "Severe is 7 or more; 0 means no pain."
        )
        assert str(
            ReferralAnswersForm().fields["pain_controlled_by_medical_therapy"].help_text
        ) == ("Analgesics, bracing, rest.")
    assert italian_rest != "Analgesics, bracing, rest."
