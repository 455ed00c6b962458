"""The worklist's rows as the real template writes them: what each column shows, and every
column escaped."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from eligibility.models import Evaluation
from patients.models import Patient, Referral
from reviews.services import referral_claim

from .conftest import accept_over_infection

pytestmark = pytest.mark.django_db

WORKLIST = reverse("reviews:worklist")
HOSTILE = "<b>\"&'"
HOSTILE_ESCAPED = "&lt;b&gt;&quot;&amp;&#x27;"


def _row(html: str, referral) -> str:
    return html.split(f'data-referral="{referral.pk}"', 1)[1].split("</tr>", 1)[0]


def _cells(row: str) -> list[str]:
    """The patient header cell, then the seven data cells."""
    header = re.findall(r"<th scope=\"row\"[^>]*>(.*?)</th>", row, flags=re.S)
    return header + re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)


def test_worklist_rows_show_levels_flags_contraindications_physician_waiting_and_status(
    radiologist_client, submitted, radiologist, radiologist2, make_user
):
    assert submitted("eligible").physician.get_full_name()
    flagged = submitted("two_levels", family_name="Moreau", given_name="Jeanne")
    Referral.objects.filter(pk=flagged.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=2, hours=3)
    )
    claimed = submitted("incomplete", by=make_user(Role.PHYSICIAN, first_name="", last_name=""))
    referral_claim(referral=claimed, by=radiologist2)
    returned = submitted("review")
    Referral.objects.filter(pk=returned.pk).update(assigned_radiologist=radiologist)
    pending = submitted("not_eligible")
    accept_over_infection(pending, radiologist, claim=True)

    html = radiologist_client.get(WORKLIST).content.decode()

    patient, age, levels, recommendation, relative, physician, waiting, status = _cells(
        _row(html, flagged)
    )
    born, today = flagged.patient.date_of_birth, timezone.localdate()
    assert age == str(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))
    assert "Moreau, Jeanne</a>" in patient and "MRN " in patient
    assert '<span class="me-1" title="Review">L1</span>' in levels
    assert '<span class="me-1" title="Eligible">L2</span>' in levels
    assert 'data-testid="flagged">Flagged<' in recommendation
    assert 'data-recommendation="eligible">Eligible<' in recommendation
    assert relative == "L1 retropulsion &gt; 20%"
    assert physician == flagged.physician.get_full_name()
    assert ">2\xa0days, 3\xa0hours</time>" in waiting  # Django's timesince, as the filter writes
    assert status.strip() == "Submitted"

    cells = _cells(_row(html, claimed))
    assert cells[4] == "—"
    assert cells[5] == claimed.physician.username  # no full name: the username
    assert cells[7].strip() == "Under review by Hugo Lambert"

    status = _cells(_row(html, returned))[7].strip()
    assert status == f"Submitted (for {radiologist.get_full_name()})"

    status = _cells(_row(html, pending))[7]
    assert "Override pending countersignature" in status


@pytest.mark.parametrize("bound", [True, False])
def test_an_empty_worklist_says_so(radiologist_client, bound):
    response = (
        radiologist_client.post(WORKLIST, {"search": "nobody"}, follow=True)
        if bound
        else radiologist_client.get(WORKLIST)
    )
    html = response.content.decode()
    assert ("No referral is waiting with these filters." in html) is bound
    assert ("No referral is waiting." in html) is not bound


def test_worklist_escapes_every_column(radiologist_client, submitted, radiologist2):
    referral = submitted("two_levels")
    referral_claim(referral=referral, by=radiologist2)
    Patient.objects.filter(pk=referral.patient_id).update(
        family_name=HOSTILE, given_name=HOSTILE, mrn=HOSTILE
    )
    get_user_model().objects.filter(pk__in=[referral.physician_id, radiologist2.pk]).update(
        first_name=HOSTILE, last_name=HOSTILE
    )
    Referral.objects.filter(pk=referral.pk).update(recommendation=HOSTILE)
    evaluation = Evaluation.objects.get(pk=referral.latest_evaluation_id)
    result = evaluation.result
    for index, level in enumerate(result["levels"]):
        level["level"], level["recommendation"] = f"{HOSTILE}{index}", HOSTILE
        for finding in level["findings"]:
            if finding["kind"] == "relative" and finding["status"] == "met":
                finding["rule"] = HOSTILE
    Evaluation.objects.filter(pk=evaluation.pk).update(result=result)

    response = radiologist_client.get(WORKLIST)

    assert response.status_code == 200
    row = _row(response.content.decode(), referral)
    assert "<b>" not in row
    patient, _age, levels, recommendation, relative, physician, _waiting, status = _cells(row)
    assert patient.count(HOSTILE_ESCAPED) == 3  # family name, given name, MRN
    assert levels.count(HOSTILE_ESCAPED) == 4  # two levels: the label and its recommendation
    # The badge's class, its data attribute and its label.
    assert recommendation.count(HOSTILE_ESCAPED) == 3
    assert relative == f"{HOSTILE_ESCAPED}0 {HOSTILE_ESCAPED}"  # the level and the rule
    assert physician == f"{HOSTILE_ESCAPED} {HOSTILE_ESCAPED}"
    assert status.strip() == f"Under review by {HOSTILE_ESCAPED} {HOSTILE_ESCAPED}"
