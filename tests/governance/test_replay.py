"""Replaying past referrals under a draft and `manage.py ruleset_replay`: the counts are those of
a direct re-evaluation of the stored cases, and nothing clinical is written."""

import copy
import datetime as dt
import io
import json
import time
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from eligibility.engine import DEFAULT_THRESHOLDS, Thresholds, evaluate
from eligibility.models import ReplayChange, RulesetVersion
from governance.services import ruleset_draft_create, ruleset_replay_request
from patients.models import Referral
from reviews.models import ReasonCode
from tests.eligibility.engine.builders import EXAMPLES_DIR
from tests.factories import ELIGIBLE_CASE, make_referral, record_decision

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)
CHANGED = {"SEVERE_PAIN_NRS": 6, "INR_MAX": 1.8}


def _with(level=None, **case_changes):
    case = copy.deepcopy(ELIGIBLE_CASE)
    case.update(case_changes)
    case["levels"][0].update(level or {})
    return case


@pytest.fixture
def past_referrals(physician, radiologist, reason_codes, django_capture_on_commit_callbacks):
    """The shared examples, and cases either side of the changed thresholds; one decided."""
    cases = [json.loads(path.read_text())["case"] for path in sorted(EXAMPLES_DIR.glob("*.json"))]
    cases += [
        _with({"pain_nrs": 6}),
        _with({"pain_nrs": 5}),
        _with(inr=1.7),
        _with(inr=1.9),
        _with({"pain_nrs": 6}, inr=1.7),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        referrals = [
            make_referral(physician=physician, case=case, submit=True, today=TODAY)
            for case in cases
        ]
        make_referral(physician=physician, case=_with({"pain_nrs": 6}))  # a draft: not replayed
    # A decided referral that changes: listed after the open ones.
    decided = referrals[-1]
    decline = ReasonCode.objects.filter(kind=ReasonCode.Kind.DECLINE).first()
    record_decision(decided, by=radiologist, claim=True, outcome="decline", reason_code=decline)
    return referrals


def direct_rule_changes(thresholds: Thresholds) -> dict:
    """Per rule, findings that become met or stop being met, level by level."""
    rules: dict = {}
    for referral in Referral.objects.exclude(submitted_at=None).select_related("latest_evaluation"):
        stored = referral.latest_evaluation
        today = dt.date.fromisoformat(stored.case["assessed_on"])
        after = evaluate(stored.case, today=today, thresholds=thresholds)
        for old_level, new_level in zip(stored.result["levels"], after["levels"], strict=True):
            for old, new in zip(old_level["findings"], new_level["findings"], strict=True):
                if (old["status"] == "met") != (new["status"] == "met"):
                    counts = rules.setdefault(old["rule"], {"became_met": 0, "stopped_met": 0})
                    counts["became_met" if new["status"] == "met" else "stopped_met"] += 1
    return rules


def direct_counts(thresholds: Thresholds) -> dict:
    """The expected answer, computed here without the replay code."""
    transitions = Counter()
    referrals = 0
    for referral in Referral.objects.exclude(submitted_at=None).select_related("latest_evaluation"):
        stored = referral.latest_evaluation
        today = dt.date.fromisoformat(stored.case["assessed_on"])
        after = evaluate(stored.case, today=today, thresholds=thresholds)["recommendation"]
        referrals += 1
        if after != stored.recommendation:
            transitions[f"{stored.recommendation}->{after}"] += 1
    return {
        "referrals": referrals,
        "changed": sum(transitions.values()),
        "transitions": dict(sorted(transitions.items())),
    }


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_replay_counts_equal_a_direct_re_evaluation_and_write_no_evaluation_or_referral(
    past_referrals, make_user, django_capture_on_commit_callbacks
):
    lead = make_user(Role.GOVERNANCE)
    values = {**DEFAULT_THRESHOLDS.as_named(), **CHANGED}
    draft = ruleset_draft_create(
        values=values,
        reasons={name: ("SIR 2019 range.", "SIR 2019") for name in CHANGED},
        summary="Both.",
        by=lead,
    )
    clinical = ("eligibility.Evaluation", "patients.Referral", "patients.TargetLevel")
    before = {label: count for label, count in row_counts().items() if label in clinical}
    with django_capture_on_commit_callbacks(execute=True):
        ruleset_replay_request(version=draft, by=lead)
    replay = draft.replays.get()
    expected = direct_counts(Thresholds.from_overrides(values))

    assert replay.status == "done" and replay.done == replay.total == expected["referrals"]
    report = replay.report
    assert {key: report[key] for key in expected} == expected
    assert expected["changed"] == 3  # NRS 6, INR 1.7, and both
    assert report["rules"] == direct_rule_changes(Thresholds.from_overrides(values))
    assert report["rules"]["CI-COAGULOPATHY"] == {"became_met": 0, "stopped_met": 2}
    assert {label: count for label, count in row_counts().items() if label in clinical} == before
    changes = list(ReplayChange.objects.filter(replay=replay).order_by("-is_open", "referral_id"))
    assert len(changes) == expected["changed"]
    assert [change.is_open for change in changes] == sorted(
        (change.is_open for change in changes), reverse=True
    )
    assert changes[-1].referral == past_referrals[-1] and not changes[-1].is_open


def test_replay_within_a_window_covers_only_referrals_submitted_in_it(
    past_referrals, make_user, django_capture_on_commit_callbacks
):
    lead = make_user(Role.GOVERNANCE)
    draft = ruleset_draft_create(
        values={**DEFAULT_THRESHOLDS.as_named(), "SEVERE_PAIN_NRS": 6},
        reasons={"SEVERE_PAIN_NRS": ("Lower band.", "Audit")},
        summary="NRS.",
        by=lead,
    )
    Referral.objects.filter(pk=past_referrals[0].pk).update(
        submitted_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    with django_capture_on_commit_callbacks(execute=True):
        ruleset_replay_request(
            version=draft,
            by=lead,
            submitted_from=dt.date(2024, 12, 31),
            submitted_to=dt.date(2025, 1, 2),
        )
    assert draft.replays.get().report["referrals"] == 1


def run_cli(path) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ruleset_replay", "--thresholds", str(path), "--json", stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def test_cli_prints_the_counts_of_a_direct_re_evaluation_and_writes_nothing(
    past_referrals, tmp_path
):
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps(CHANGED))
    before = row_counts()
    summary, _ = run_cli(path)
    assert summary == direct_counts(
        Thresholds.from_overrides({**DEFAULT_THRESHOLDS.as_named(), **CHANGED})
    )
    assert row_counts() == before
    assert not RulesetVersion.objects.exists()


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"INR_MAX": "1.8"}', "INR_MAX: INR_MAX must be a number"),
        ('{"SEVERE_PAIN": 6}', "SEVERE_PAIN: unknown threshold"),
        ('{"SEVERE_PAIN_NRS": 6.5}', "SEVERE_PAIN_NRS: SEVERE_PAIN_NRS must be a whole number"),
        ('{"INR_MAX": 1.8', "thresholds: "),
        ("[1.8]", "thresholds: the file must be a JSON object"),
    ],
)
def test_cli_refuses_a_bad_file_with_exit_2_naming_the_field_and_writes_nothing(
    past_referrals, tmp_path, content, named
):
    path = tmp_path / "thresholds.json"
    path.write_text(content)
    before = row_counts()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("ruleset_replay", "--thresholds", str(path), stdout=out, stderr=err)
    assert exited.value.code == 2
    assert err.getvalue().startswith(named)
    assert out.getvalue() == ""
    assert row_counts() == before


def test_replay_report_and_csv_list_changed_referrals_open_first_linking_to_their_review(
    past_referrals, make_user, client, django_capture_on_commit_callbacks
):
    lead = make_user(Role.GOVERNANCE)
    draft = ruleset_draft_create(
        values={**DEFAULT_THRESHOLDS.as_named(), **CHANGED},
        reasons={name: ("SIR 2019 range.", "SIR 2019") for name in CHANGED},
        summary="Both.",
        by=lead,
    )
    with django_capture_on_commit_callbacks(execute=True):
        ruleset_replay_request(version=draft, by=lead)
    replay = draft.replays.get()
    client.force_login(lead)
    page = client.get(reverse("governance:version-detail", args=[draft.pk])).content.decode()
    first = ReplayChange.objects.filter(replay=replay, is_open=True).order_by("referral_id").first()
    assert reverse("reviews:review", args=[first.referral_id]) in page
    assert 'data-testid="replay-summary"' in page and "every 1s" not in page

    response = client.get(reverse("governance:replay-csv", args=[replay.pk]))
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert rows[0] == "referral,status,open,before,after,levels"
    assert len(rows) == 1 + replay.report["changed"]
    opens = [row.split(",")[2] for row in rows[1:]]
    assert opens == sorted(opens, reverse=True)  # "yes" before "no"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_replay_and_commits_its_report(
    celery_worker_process, physician, make_user
):
    for pain in (6, 9):
        make_referral(physician=physician, case=_with({"pain_nrs": pain}), submit=True, today=TODAY)
    lead = make_user(Role.GOVERNANCE)
    draft = ruleset_draft_create(
        values={**DEFAULT_THRESHOLDS.as_named(), "SEVERE_PAIN_NRS": 6},
        reasons={"SEVERE_PAIN_NRS": ("Lower band.", "Audit")},
        summary="NRS.",
        by=lead,
    )
    replay = ruleset_replay_request(version=draft, by=lead)  # queued on commit to Redis

    deadline = time.monotonic() + 30
    while replay.status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        replay.refresh_from_db()

    assert replay.status == "done", replay.error
    assert (replay.done, replay.total, replay.report["changed"]) == (2, 2, 1)
    assert replay.changes.get().recommendation_after == "eligible"
