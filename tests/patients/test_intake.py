"""The intake form through HTTP: drafts, submissions, validation and resubmission."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from eligibility.conf import get_thresholds
from eligibility.engine import RULES, evaluate
from eligibility.models import Evaluation
from patients import intake, services
from patients.cases import referral_case
from patients.entry import NO_SUCH_DATE
from patients.models import Referral, TargetLevel
from patients.questions import level_questions, referral_questions

from .conftest import case_form_data, eligible_case, page, read_findings

pytestmark = pytest.mark.django_db


def _create_url(patient):
    return reverse("patients:referral-create", args=[patient.pk])


def _edit_url(referral):
    return reverse("patients:referral-edit", args=[referral.pk])


def test_intake_page_shows_every_section_in_the_clinics_order(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    response = physician_client.get(_create_url(patient))
    assert response.status_code == 200
    html = page(response)
    sections = [
        "Patient",
        "Pain and therapy",
        "Coagulation",
        "Infection and allergies",
        "Radicular pain",
        "Target levels",
    ]
    positions = [html.index(f'">{name}</h2>') for name in sections]
    assert positions == sorted(positions)
    # The live region is the verdict line's alone, not the whole panel.
    assert 'role="status" aria-atomic="true" id="verdict-announcer"' in html
    assert 'id="findings-panel" data-testid="findings-panel">' in html
    assert "<script>" not in html and " onclick=" not in html


def test_every_question_folds_the_criteria_it_feeds_under_its_hint(
    physician_client, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    referral = make_referral(patient, physician, eligible_case(timezone.localdate()))
    html = page(physician_client.get(_edit_url(referral)))
    questions = [
        ("allergy_status" if name == "allergies" else name, question)
        for name, question in referral_questions().items()
    ]
    questions += [(f"levels-0-{name}", q) for name, q in level_questions().items()]
    for field_id, question in questions:
        block = html[html.index(f'id="div_id_{field_id}"') :]
        block = block[: block.index("</details>") if "<details" in block[:4000] else 4000]
        if question.hint:
            assert f'id="id_{field_id}_helptext" class="form-text">{question.hint}<' in block
        feeds = [rule for rule in RULES if question.case_input in rule.inputs]
        for rule in feeds:
            assert f'<a href="/rules/#rule-{rule.id}">“{rule.text}”</a>' in block, field_id
        assert "Feeds" not in question.help_text
    assert '<summary class="text-body-secondary">Feeds 1 criterion</summary>' in html


def test_tri_state_questions_offer_unknown_distinct_from_no(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    html = page(physician_client.get(_create_url(patient)))
    assert 'name="coagulopathy" value="unknown"' in html
    assert 'name="coagulopathy" value="no"' in html
    # A new referral starts with "Unknown" answered, never "No".
    assert 'value="unknown" class="form-check-input" id="id_coagulopathy_2" checked' in html


def test_submit_stores_exactly_one_evaluation_equal_to_the_engines_result(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    today = timezone.localdate()
    response = physician_client.post(
        _create_url(patient), case_form_data(eligible_case(today), action="submit")
    )
    referral = Referral.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == referral.get_absolute_url()
    evaluation = Evaluation.objects.get(referral=referral)
    expected = evaluate(
        referral_case(referral, assessed_on=today), today=today, thresholds=get_thresholds()
    )
    assert evaluation.result == expected
    assert evaluation.case == referral_case(referral, assessed_on=today)
    assert evaluation.recommendation == "eligible"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    assert referral.latest_evaluation == evaluation
    assert referral.recommendation == "eligible"


def test_invalid_submit_saves_nothing_and_shows_errors_next_to_the_fields(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"][0]["pain_nrs"] = 11
    case["inr"] = 0
    response = physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert not TargetLevel.objects.exists()
    assert not Evaluation.objects.exists()
    html = page(response)
    error_block = 'id="id_levels-0-pain_nrs_error" class="invalid-feedback d-block">\n    <div>'
    assert error_block + str(intake.NRS_RANGE) in html
    assert str(intake.INR_RANGE) in html


def test_submit_of_an_incomplete_referral_stores_an_incomplete_evaluation(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["coagulopathy"] = None
    response = physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    assert response.status_code == 302
    assert Evaluation.objects.get().recommendation == "incomplete"


def test_submit_without_levels_saves_nothing_and_says_a_level_is_needed(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"] = []
    response = physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    assert response.status_code == 400
    assert "At least one target level is required." in page(response)
    assert not Referral.objects.exists()


def test_draft_saves_the_valid_answers_and_reports_the_invalid_ones(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["platelets"] = -5
    case["levels"][0]["pain_nrs"] = 12
    response = physician_client.post(_create_url(patient), case_form_data(case, action="draft"))
    assert response.status_code == 200
    referral = Referral.objects.get(patient=patient)
    assert referral.status == Referral.Status.DRAFT
    assert referral.platelets is None
    assert referral.inr == 1
    assert referral.coagulopathy is False
    level = referral.levels.get()
    assert (level.level, level.pain_nrs, level.fracture) == ("L2", None, True)
    html = page(response)
    assert "Draft saved, except" in html
    assert str(intake.PLATELETS_RANGE) in html and str(intake.NRS_RANGE) in html
    # The form now posts onto the stored referral and its stored level row.
    assert f'action="{_edit_url(referral)}"' in html
    assert f'name="levels-0-id" value="{level.pk}"' in html
    assert not Evaluation.objects.exists()


def test_a_valid_draft_redirects_to_its_edit_page(physician_client, physician, make_patient):
    patient = make_patient(physician)
    response = physician_client.post(
        _create_url(patient), case_form_data(eligible_case(timezone.localdate()), action="draft")
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _edit_url(referral)


def test_saving_a_draft_twice_updates_the_same_rows(
    physician_client, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    referral = make_referral(patient, physician, case)
    level = referral.levels.get()
    case["levels"][0]["pain_nrs"] = 4
    data = case_form_data(case, action="draft", level_ids={0: level.pk})
    response = physician_client.post(_edit_url(referral), data)
    assert response.status_code == 302
    level.refresh_from_db()
    assert level.pain_nrs == 4
    assert TargetLevel.objects.count() == 1


def test_removing_and_adding_levels(physician_client, physician, make_patient, make_referral):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    referral = make_referral(patient, physician, case)
    level = referral.levels.get()
    case["levels"].append({**case["levels"][0], "level": "L3"})
    data = case_form_data(case, action="draft", level_ids={0: level.pk})
    data["levels-0-DELETE"] = "on"
    assert physician_client.post(_edit_url(referral), data).status_code == 302
    assert list(referral.levels.values_list("level", flat=True)) == ["L3"]
    assert not TargetLevel.objects.filter(pk=level.pk).exists()


def test_two_stored_levels_can_trade_labels(
    physician_client, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"].append({**case["levels"][0], "level": "L3", "pain_nrs": 8})
    referral = make_referral(patient, physician, case)
    first, second = referral.levels.order_by("position")
    case["levels"][0]["level"], case["levels"][1]["level"] = "L3", "L2"
    data = case_form_data(case, action="draft", level_ids={0: first.pk, 1: second.pk})
    assert physician_client.post(_edit_url(referral), data).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.level, first.pain_nrs, second.level, second.pain_nrs) == ("L3", 9, "L2", 8)
    assert "~" not in "".join(TargetLevel.history.values_list("level", flat=True))


def test_duplicate_levels_are_refused_next_to_the_level(physician_client, physician, make_patient):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"].append(dict(case["levels"][0]))
    response = physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    assert response.status_code == 400
    assert intake.LEVEL_DUPLICATE.format(level="L2") in page(response)
    assert not Referral.objects.exists()


def test_unknown_level_labels_are_refused(physician_client, physician, make_patient):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"][0]["level"] = "L6"
    response = physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    assert response.status_code == 400
    assert str(intake.LEVEL_UNKNOWN) in page(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pain_nrs", "7.5", str(intake.NRS_RANGE)),
        ("pain_nrs", "-1", str(intake.NRS_RANGE)),
        ("canal_compromise_pct", "100.5", str(intake.PERCENT_RANGE)),
        ("canal_compromise_pct", "-0.1", str(intake.PERCENT_RANGE)),
        ("fracture_date", "2999-01-01", str(intake.DATE_IN_FUTURE)),
        # The date of birth in the reader's format (English: "14 Mar 1946"), not ISO.
        (
            "fracture_date",
            "1900-01-01",
            str(intake.DATE_BEFORE_BIRTH).format(date_of_birth="14 Mar 1946"),
        ),
        ("fracture_date", "2026-02-30", str(NO_SUCH_DATE)),
    ],
)
def test_level_answers_out_of_range_are_refused_next_to_the_field(
    physician_client, physician, make_patient, field, value, message
):
    patient = make_patient(physician)
    data = case_form_data(eligible_case(timezone.localdate()), action="submit")
    data[f"levels-0-{field}"] = value
    response = physician_client.post(_create_url(patient), data)
    assert response.status_code == 400
    html = page(response)
    assert f'id="id_levels-0-{field}_error"' in html
    assert message in html
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("inr", "0", str(intake.INR_RANGE)),
        ("inr", "-1.2", str(intake.INR_RANGE)),
        ("inr", "NaN", str(intake.INR_RANGE)),
        ("platelets", "-1", str(intake.PLATELETS_RANGE)),
        ("platelets", "Infinity", str(intake.PLATELETS_RANGE)),
        ("coagulopathy", "maybe", "Select a valid choice."),
    ],
)
def test_referral_answers_out_of_range_are_refused_next_to_the_field(
    physician_client, physician, make_patient, field, value, message
):
    patient = make_patient(physician)
    data = case_form_data(eligible_case(timezone.localdate()), action="submit")
    data[field] = value
    response = physician_client.post(_create_url(patient), data)
    assert response.status_code == 400
    html = page(response)
    assert f'id="id_{field}_error"' in html
    assert message in html


def test_old_healed_fracture_without_a_date_warns_but_does_not_block(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"][0].update(imaging_acute=False, fracture_date=None)
    data = case_form_data(case)
    response = physician_client.post(reverse("patients:referral-live-new", args=[patient.pk]), data)
    assert str(intake.FRACTURE_DATE_NEEDED) in page(response)
    response = physician_client.post(_create_url(patient), {**data, "action": "submit"})
    assert response.status_code == 302
    assert Evaluation.objects.get().recommendation == "incomplete"


def test_allergies_distinguish_unknown_none_known_and_a_list(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    url = _create_url(patient)
    case = eligible_case(timezone.localdate())
    for allergies in (None, [], ["contrast", "cement"]):
        case["allergies"] = allergies
        assert physician_client.post(url, case_form_data(case, action="draft")).status_code == 302
    stored = [r.allergies for r in Referral.objects.order_by("id")]
    assert stored == [None, [], ["cement", "contrast"]]


def test_allergy_answer_contradicting_the_ticks_is_refused(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    data = case_form_data(eligible_case(timezone.localdate()), action="submit")
    data["allergy_status"] = "some"
    data["allergies"] = []
    response = physician_client.post(_create_url(patient), data)
    assert str(intake.ALLERGIES_NONE_TICKED) in page(response)
    data["allergy_status"], data["allergies"] = "none", ["cement"]
    response = physician_client.post(_create_url(patient), data)
    assert str(intake.ALLERGIES_CONTRADICTION) in page(response)
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("answers", "level_answers", "cleared"),
    [
        (
            {"coagulopathy": False, "coagulopathy_corrected": False},
            {},
            {"coagulopathy_corrected": None},
        ),
        (
            {"radicular_pain": False, "radicular_cause": "unrelated_compression"},
            {},
            {"radicular_cause": ""},
        ),
        (
            {"radicular_pain": None, "radicular_cause": "vertebral_collapse"},
            {},
            {"radicular_cause": ""},
        ),
        (
            {},
            {"fracture": False, "imaging_acute": True, "canal_compromise_pct": 40},
            {
                "levels.imaging_acute": None,
                "levels.canal_compromise_pct": None,
                "levels.fracture_date": None,
            },
        ),
        (
            {},
            {"etiology": "metastasis", "high_fracture_risk": True},
            {"levels.high_fracture_risk": None},
        ),
        (
            {},
            {"etiology": "osteoporosis", "high_fracture_risk": True, "epidural_extension": True},
            {"levels.high_fracture_risk": None, "levels.epidural_extension": None},
        ),
    ],
    ids=[
        "corrected",
        "cause-no-pain",
        "cause-unknown-pain",
        "not-fractured",
        "fractured-tumour",
        "osteoporosis",
    ],
)
def test_answers_to_questions_not_asked_are_cleared_server_side(
    physician_client, physician, make_patient, answers, level_answers, cleared
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case.update(answers)
    case["levels"][0].update(level_answers)
    response = physician_client.post(_create_url(patient), case_form_data(case, action="draft"))
    assert response.status_code == 302
    referral, level = Referral.objects.get(), TargetLevel.objects.get()
    stored = {
        name: getattr(level, name.removeprefix("levels."))
        if name.startswith("levels.")
        else getattr(referral, name)
        for name in cleared
    }
    assert stored == cleared


def test_a_hidden_answer_is_never_evaluated_and_its_missing_input_links_to_its_lead(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case.update(radicular_pain=None, radicular_cause="vertebral_collapse")
    live = reverse("patients:referral-live-new", args=[patient.pk])
    html = page(physician_client.post(live, case_form_data(case)))
    panel = read_findings(html)
    # The cause alone would make the criterion not met; not asked, it is no answer.
    radiculopathy = next(line for line in panel.lines if line["rule"] == "RCI-RADICULOPATHY")
    assert radiculopathy["status"] == "unknown"
    assert panel.missing == ["radicular_pain", "radicular_cause"]
    assert (
        'data-missing="radicular_cause"><a class="alert-link" href="#div_id_radicular_pain"' in html
    )


@pytest.mark.parametrize(("coagulopathy", "shown"), [(True, True), (False, False), (None, False)])
def test_the_server_shows_a_follow_up_question_only_after_its_lead_answer(
    physician_client, physician, make_patient, make_referral, coagulopathy, shown
):
    case = eligible_case(timezone.localdate())
    case.update(coagulopathy=coagulopathy, coagulopathy_corrected=True if coagulopathy else None)
    referral = make_referral(make_patient(physician), physician, case)
    html = page(physician_client.get(_edit_url(referral)))
    wrapper = html[: html.index('id="div_id_coagulopathy_corrected"')].rsplit("<div", 2)[-2]
    assert 'data-asked-when="{"coagulopathy":["yes"]}"' in wrapper
    assert ("d-none" not in wrapper) is shown


def test_tumour_questions_are_asked_only_for_tumours_and_the_risk_only_without_a_fracture(
    physician_client, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    case["levels"].append(
        {**case["levels"][0], "level": "T7", "etiology": "metastasis", "fracture": False}
    )
    referral = make_referral(patient, physician, case)
    html = page(physician_client.get(_edit_url(referral)))

    def wrapper_of(question: str) -> str:
        return html[: html.index(f'id="div_id_{question}"')].rsplit("<div", 2)[-2]

    assert "d-none" in wrapper_of("levels-0-high_fracture_risk")
    assert "d-none" in wrapper_of("levels-0-epidural_extension")
    assert "d-none" not in wrapper_of("levels-1-high_fracture_risk")
    assert "d-none" not in wrapper_of("levels-1-epidural_extension")
    # Not fractured: its date, acuteness and canal compromise are not asked.
    assert "d-none" in wrapper_of("levels-1-fracture_date")
    assert "d-none" not in wrapper_of("levels-0-fracture_date")


def test_resubmission_after_an_information_request_creates_a_new_evaluation(
    physician_client, physician, make_patient
):
    patient = make_patient(physician)
    today = timezone.localdate()
    case = eligible_case(today)
    case["coagulopathy"] = None
    physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    referral = Referral.objects.get()
    # The radiologist's request (built by the review engineer) puts it back to the physician.
    referral.status = Referral.Status.INFORMATION_REQUESTED
    referral.save(update_fields=["status"])
    level = referral.levels.get()
    case["coagulopathy"] = False
    data = case_form_data(case, action="submit", level_ids={0: level.pk})
    response = physician_client.post(_edit_url(referral), data)
    assert response.status_code == 302
    evaluations = list(referral.evaluations.order_by("created_at", "id"))
    assert [e.recommendation for e in evaluations] == ["incomplete", "eligible"]
    html = page(physician_client.get(referral.get_absolute_url()))
    assert "Coagulopathy or anticoagulant / antiplatelet drug</span>: Unknown → No" in html


def test_a_submitted_referral_cannot_be_edited(physician_client, physician, make_patient):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    referral = Referral.objects.get()
    response = physician_client.get(_edit_url(referral))
    assert response.status_code == 302
    assert response["Location"] == referral.get_absolute_url()
    case["inr"] = 3.0
    response = physician_client.post(_edit_url(referral), case_form_data(case, action="draft"))
    assert response.status_code == 409
    assert str(services.REFERRAL_NOT_EDITABLE) in page(response)
    referral.refresh_from_db()
    assert referral.inr == 1
    assert referral.evaluations.count() == 1


def test_engine_errors_map_back_to_the_fields(physician_client, physician, make_patient):
    patient = make_patient(physician)
    # The form checks the fracture date against birth; the engine also checks the birth date
    # itself against the assessment date: a date of birth in the future reaches the engine.
    patient.date_of_birth = timezone.localdate() + timedelta(days=3)
    patient.save(update_fields=["date_of_birth"])
    case = eligible_case(timezone.localdate())
    case["levels"][0]["fracture_date"] = None
    response = physician_client.post(_create_url(patient), case_form_data(case, action="submit"))
    assert response.status_code == 400
    assert "Patient record: Date of birth" in page(response)
    assert not Referral.objects.exists()


def test_a_draft_with_unreadable_level_rows_keeps_the_stored_levels(
    physician_client, physician, make_patient, make_referral
):
    patient = make_patient(physician)
    case = eligible_case(timezone.localdate())
    referral = make_referral(patient, physician, case)
    case["local_infection"] = True
    data = case_form_data(case, action="draft")
    data["levels-TOTAL_FORMS"] = "many"
    response = physician_client.post(_edit_url(referral), data)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.local_infection is True
    assert list(referral.levels.values_list("level", flat=True)) == ["L2"]
