"""Seed the bench database with a clinic's worth of synthetic referrals, in under a minute.

    .venv/bin/python bench/seed.py [--patients 10000] [--referrals 20000] [--seed 2026]

Drops and recreates the bench database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/vpselect_bench; its name must contain "bench", so the
development and test databases are never touched), migrates it, and loads: 50 physicians,
5 radiologists and 2 clinic staff (password in bench/common.py), 10,000 patients, 20,000
referrals with 1–3 target levels each, an evaluation of every submitted referral made by the
real engine in-process (some referrals were resubmitted after an information request, so they
have two), the radiologists' decisions (overrides, countersignatures, now and then an override
still pending countersignature) and the simple-history records the pages read. Names, MRNs
and answers are invented.

Rows are built as dicts and loaded with COPY, ids assigned here (the database is new), the
sequences moved past them at the end: a tool's shortcut, not how the app writes.
"""

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402 - after the path setup above

# Stages of the referrals: drafts (never evaluated), waiting for a radiologist, decided.
DRAFT_SHARE = 0.08
WAITING_SHARE = 0.40
WAITING_WEIGHTS = {"submitted": 72, "under_review": 28}
# A radiologist's decision follows the engine more often than not.
DECIDED_WEIGHTS = {
    "eligible": {"accepted": 80, "declined": 7, "information_requested": 13},
    "review": {"accepted": 55, "declined": 30, "information_requested": 15},
    "incomplete": {"accepted": 8, "declined": 12, "information_requested": 80},
    "not_eligible": {"accepted": 5, "declined": 88, "information_requested": 7},
}
RESUBMITTED_SHARE = 0.15
# After acceptance: most are treated; a summary is printed within days of its decision.
PROCEDURE_SHARE = 0.9
LEAKAGE_SHARE = 0.12
FOLLOW_UP_RECORDED_SHARE = 0.85
SUMMARY_PRINTED_AFTER_DAYS = 3
# N = 1 is a clinic's first year; N = 25 ten years of a regional service (2.5 x the yearly
# rate), which is what the years of data grow as.
YEARS_PER_SCALE = 0.4
# One row per signed-in request: ~10,000 events per 1,000 referrals.
AUDIT_EVENTS_PER_REFERRAL = 10
# Generated and loaded slice by slice, so 25 x fits in memory.
SLICE_PATIENTS = common.PATIENTS
AUDITORS = 8
PENDING_COUNTERSIGNATURE_SHARE = 0.3
OUTCOME_OF_STATUS = {
    "accepted": "accept",
    "declined": "decline",
    "information_requested": "request_information",
}


def recreate_database(url: str) -> None:
    """Drop the bench database (closing its connections) and create it empty."""
    import psycopg2
    from psycopg2 import sql

    parts = urlparse(url)
    name = common.database_name(url)
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


# --- COPY ---------------------------------------------------------------------------------

COPY_CHUNK = 256 * 1024


_SPECIAL = frozenset("\\\t\n\r")


def _escape(text: str) -> str:
    """Text for PostgreSQL's COPY text format."""
    if _SPECIAL.isdisjoint(text):
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _json(value) -> str:
    return _escape(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _encode(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return _json(value)


class _Lines:
    """A file-like view of lines made on demand: PostgreSQL parses one chunk while this
    process encodes the next, instead of waiting for the whole table to be encoded."""

    def __init__(self, lines):
        self._lines = lines
        self._pending: list[str] = []
        self._size = 0

    def read(self, size: int = -1) -> str:
        for line in self._lines:
            self._pending.append(line)
            self._size += len(line)
            if 0 <= size <= self._size:
                break
        text = "".join(self._pending)
        self._pending, self._size = [], 0
        return text


def copy_rows(cursor, model, rows: list[dict]) -> int:
    """COPY dicts keyed by column (attname) into the model's table; absent keys get defaults.

    JSON fields must hold lists or dicts (a JSON string would be taken for text).
    """
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.get_internal_type().endswith("AutoField"))
        or (rows and field.attname in rows[0])
    ]
    names = [field.attname for field in fields]
    json_fields = {field.attname for field in fields if field.get_internal_type() == "JSONField"}

    def lines():
        for row in rows:
            values = []
            for field, name in zip(fields, names, strict=True):
                value = row[name] if name in row else field.get_default()
                if name in json_fields and value is not None:
                    values.append(_json(value))
                else:
                    values.append(_encode(value))
            yield "\t".join(values) + "\n"

    columns = ", ".join(f'"{name}"' for name in names)
    statement = f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN'
    cursor.copy_expert(statement, _Lines(lines()), size=COPY_CHUNK)
    return len(rows)


def reset_sequences(cursor, *models) -> None:
    for model in models:
        table = model._meta.db_table
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 - model names
            f'(SELECT COALESCE(max(id), 0) + 1 FROM "{table}"), false)'
        )


# --- The data -----------------------------------------------------------------------------


class Seeder:
    """Builds every row in memory, in the order a clinic would have made them."""

    def __init__(
        self, *, rng: random.Random, patients: int, referrals: int, today: date, years: float = 1.0
    ):
        from django.contrib.auth.models import Group
        from django.utils import timezone

        from accounts.roles import Role, group_name
        from reviews.models import ReasonCode

        self.rng = rng
        self.patient_count = patients
        self.referral_count = referrals
        self.today = today
        self.now = timezone.now()
        self.groups = {role: Group.objects.get(name=group_name(role)) for role in Role}
        codes = list(ReasonCode.objects.filter(active=True))
        self.reason_codes = {
            kind: [code.pk for code in codes if code.kind == kind] for kind in ReasonCode.Kind
        }
        # Decided referrals spread over `years`; what is waiting or a draft is the last weeks'
        # worth, so its share shrinks as the years grow (the queue follows the yearly rate).
        self.years = years
        self.draft_share = DRAFT_SHARE / years
        self.waiting_share = WAITING_SHARE / years
        self.ids: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.recommendations: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self._forget()

    def _forget(self) -> None:
        """Empty the rows of a slice once loaded: a slice at a time fits in memory."""
        self.patients: list[dict] = []
        self.referrals: list[dict] = []
        self.levels: list[dict] = []
        self.evaluations: list[dict] = []
        self.decisions: list[dict] = []
        self.countersignatures: list[dict] = []
        self.procedures: list[dict] = []
        self.treated_levels: list[dict] = []
        self.follow_ups: list[dict] = []
        self.summaries: list[dict] = []

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def users(self) -> None:
        """The bench's users, with the ORM (57 rows); all share one password hash."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from accounts.roles import Role

        user_model = get_user_model()
        # One Argon2 hash for every bench user: hashing 57 times would take seconds.
        password = make_password(common.PASSWORD)
        people = (
            [(common.physician_username(n), Role.PHYSICIAN) for n in range(1, 51)]
            + [(common.radiologist_username(n), Role.RADIOLOGIST) for n in range(1, 6)]
            + [(common.staff_username(n), Role.STAFF) for n in range(1, common.STAFF + 1)]
        )
        users = user_model.objects.bulk_create(
            [
                user_model(
                    username=username,
                    password=password,
                    email=f"{username}@bench.invalid",
                    first_name=username.split("-")[1].title(),
                    last_name=username.rsplit("-", 1)[1],
                )
                for username, _ in people
            ]
        )
        membership = user_model.groups.through
        membership.objects.bulk_create(
            [
                membership(user_id=user.pk, group_id=self.groups[role].pk)
                for user, (_, role) in zip(users, people, strict=True)
            ]
        )
        roles = [role for _, role in people]
        self.physicians = [u.pk for u, r in zip(users, roles, strict=True) if r == Role.PHYSICIAN]
        self.radiologists = [
            u.pk for u, r in zip(users, roles, strict=True) if r == Role.RADIOLOGIST
        ]
        self.staff = [u.pk for u, r in zip(users, roles, strict=True) if r == Role.STAFF]
        self.auditors()

    def auditors(self) -> None:
        """The auditors who read the trail: superusers with a TOTP device of a known key."""
        from django.contrib.auth import get_user_model
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user_model = get_user_model()
        auditors = user_model.objects.bulk_create(
            [
                user_model(
                    username=common.auditor_username(n),
                    password=user_model.objects.get(username=common.staff_username(1)).password,
                    email=f"{common.auditor_username(n)}@bench.invalid",
                    is_superuser=True,
                    is_staff=True,
                )
                for n in range(1, AUDITORS + 1)
            ]
        )
        TOTPDevice.objects.bulk_create(
            [
                TOTPDevice(user=user, name="bench", key=common.TOTP_KEY_HEX, confirmed=True)
                for user in auditors
            ]
        )
        self.auditor_ids = [user.pk for user in auditors]

    def build(self, first: int = 1, last: int | None = None, referrals: int | None = None) -> None:
        """Patients `first`..`last` (all by default) and `referrals` referrals spread over them."""
        from eligibility.conf import get_thresholds
        from patients.services import default_clinic

        clinic = default_clinic()
        thresholds = get_thresholds()
        last = self.patient_count if last is None else last
        for number in range(first, last + 1):
            created = self.now - timedelta(days=self.rng.uniform(30, 400 * self.years))
            self.patients.append(
                {
                    "id": number,
                    "clinic_id": clinic.pk,
                    "created_by_id": self.physicians[number % len(self.physicians)],
                    "created_at": created,
                    "updated_at": created,
                    **common.generate_patient(self.rng, today=self.today, number=number),
                }
            )
        for patient in self._referral_patients(referrals or self.referral_count):
            self._referral(patient, thresholds)

    def _referral_patients(self, referrals: int) -> list[dict]:
        """Every patient once, then more referrals spread over them (at most 3 each)."""
        chosen = list(self.patients)
        count = Counter(patient["id"] for patient in chosen)
        while len(chosen) < referrals:
            patient = self.rng.choice(self.patients)
            if count[patient["id"]] < 3:
                count[patient["id"]] += 1
                chosen.append(patient)
        self.rng.shuffle(chosen)
        return chosen[:referrals]

    def _referral(self, patient: dict, thresholds) -> None:
        from eligibility.engine import evaluate
        from patients.cases import case_referral_answers

        stage = self._stage()
        # Waiting referrals and drafts are recent; decided ones spread over the past year.
        if stage == "decided":
            days_ago = self.rng.uniform(10, 365 * self.years)
        else:
            days_ago = self.rng.uniform(0, 45)
        submitted_at = self.now - timedelta(days=days_ago)
        on = submitted_at.date()
        case = common.generate_case(
            self.rng, today=on, date_of_birth=patient["date_of_birth"], sex=patient["sex"]
        )
        answers, levels = case_referral_answers(case)
        referral = {
            "id": self._next("referral"),
            "patient_id": patient["id"],
            "physician_id": patient["created_by_id"],
            "status": "draft",
            "version": 2,
            "created_at": submitted_at - timedelta(hours=self.rng.uniform(0.2, 48)),
            "submitted_at": None,
            "recommendation": "",
            "flagged": False,
            **answers,
        }
        referral["updated_at"] = submitted_at
        referral["_levels"] = levels  # not a column: the procedure's treated levels read it
        self.referrals.append(referral)
        for position, level in enumerate(levels):
            self.levels.append(
                {
                    "id": self._next("level"),
                    "referral_id": referral["id"],
                    "position": position,
                    **level,
                }
            )
        if stage == "draft":
            referral["assessed_on"] = None
            return
        result = evaluate(case, today=on, thresholds=thresholds)
        referral.update(
            status=self._status(stage, result["recommendation"]),
            submitted_at=submitted_at,
            recommendation=result["recommendation"],
            flagged=result["flagged"],
        )
        if referral["status"] != "information_requested" and self.rng.random() < (
            RESUBMITTED_SHARE
        ):
            earlier = self._earlier_case(case)
            first_at = submitted_at - timedelta(days=self.rng.uniform(1, 5))
            first = self._evaluation(
                referral, earlier, evaluate(earlier, today=on, thresholds=thresholds), first_at
            )
            self._decision(referral, first, "request_information", at=first_at + timedelta(hours=6))
            referral["version"] += 3  # decided on, edited, resubmitted
        latest = self._evaluation(referral, case, result, submitted_at)
        referral["latest_evaluation_id"] = latest["id"]
        self._review(referral, latest)

    def _stage(self) -> str:
        roll = self.rng.random()
        if roll < self.draft_share:
            return "draft"
        return "waiting" if roll < self.draft_share + self.waiting_share else "decided"

    def _status(self, stage: str, recommendation: str) -> str:
        """A waiting status, or the decision a radiologist would likely make on this result."""
        weights = WAITING_WEIGHTS if stage == "waiting" else DECIDED_WEIGHTS[recommendation]
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _earlier_case(self, case: dict) -> dict:
        """The case as first submitted: an answer the radiologist asked for was unknown."""
        earlier = {**case, "levels": [dict(level) for level in case["levels"]]}
        if self.rng.random() < 0.5:
            earlier["coagulopathy"] = None
        else:
            earlier["levels"][0]["imaging_acute"] = None
        return earlier

    def _evaluation(self, referral: dict, case: dict, result: dict, at: datetime) -> dict:
        evaluation = {
            "id": self._next("evaluation"),
            "referral_id": referral["id"],
            "referral_version": referral["version"],
            "ruleset_version": result["ruleset_version"],
            "case": case,
            "result": result,
            "recommendation": result["recommendation"],
            "flagged": result["flagged"],
            "created_by_id": referral["physician_id"],
            "created_at": at,
        }
        self.evaluations.append(evaluation)
        return evaluation

    def _review(self, referral: dict, latest: dict) -> None:
        """The radiologists' part: claim, decide, countersign, as the status says."""
        if referral["status"] == "submitted":
            return
        radiologist = self.rng.choice(self.radiologists)
        referral["assigned_radiologist_id"] = radiologist
        referral["version"] += 1  # claimed ("Start review")
        decided_at = min(
            latest["created_at"] + timedelta(hours=self.rng.uniform(1, 72)),
            self.now - timedelta(minutes=5),
        )
        if referral["status"] == "under_review":
            absolute = _levels_with_met_absolute(latest["result"])
            if absolute and self.rng.random() < PENDING_COUNTERSIGNATURE_SHARE:
                self._decision(
                    referral, latest, "accept", at=decided_at, by=radiologist, levels=absolute
                )
            return
        outcome = OUTCOME_OF_STATUS[referral["status"]]
        decision = self._decision(referral, latest, outcome, at=decided_at, by=radiologist)
        if decision["requires_countersignature"]:
            signer = self.rng.choice([pk for pk in self.radiologists if pk != radiologist])
            self.countersignatures.append(
                {
                    "id": self._next("countersignature"),
                    "decision_id": decision["id"],
                    "signed_by_id": signer,
                    "signed_at": decided_at + timedelta(hours=2),
                    "comment": "Agreed after discussing the images.",
                }
            )
            referral["version"] += 1
        referral["updated_at"] = decided_at
        self._summary(referral, latest, decision, decided_at)
        if outcome == "accept":
            self._procedure(referral, decision, latest)

    def _summary(self, referral: dict, evaluation: dict, decision: dict, at: datetime) -> None:
        """The decision's summary PDF: printed, unless decided in the last days."""
        printed = at < self.now - timedelta(days=SUMMARY_PRINTED_AFTER_DAYS)
        self.summaries.append(
            {
                "id": self._next("summary"),
                "referral_id": referral["id"],
                "evaluation_id": evaluation["id"],
                "decision_id": decision["id"],
                "status": "ready",
                "attempts": 1,
                "requested_by_id": decision["decided_by_id"],
                "created_at": at,
                "decided_or_created": at,
                "enqueued_at": at,
                "rendered_at": at + timedelta(seconds=3),
                "printed_at": at + timedelta(hours=2) if printed else None,
                "printed_by_id": self.staff[0] if printed else None,
                "print_count": 1 if printed else 0,
            }
        )

    def _procedure(self, referral: dict, decision: dict, evaluation: dict) -> None:
        """Most accepted referrals were treated within weeks; their follow-ups as of today."""
        from outcomes.schedule import INTERVALS, follow_up_state

        performed_on = (decision["decided_at"] + timedelta(days=self.rng.uniform(3, 30))).date()
        if performed_on >= self.today or self.rng.random() > PROCEDURE_SHARE:
            return  # awaiting its procedure
        treated = [
            level for level in referral["_levels"] if level["level"] in decision["levels_to_treat"]
        ] or referral["_levels"][:1]
        pains = [level["pain_nrs"] for level in treated if level.get("pain_nrs") is not None]
        leakage = self.rng.random() < LEAKAGE_SHARE
        procedure = {
            "id": self._next("procedure"),
            "referral_id": referral["id"],
            "decision_id": decision["id"],
            "performed_on": performed_on,
            "guidance": self.rng.choice(["ct", "fluoroscopy", "both"]),
            "anaesthesia": self.rng.choice(["local", "local", "sedation", "general"]),
            "admission": self.rng.choice(["outpatient", "outpatient", "admitted"]),
            "had_complications": leakage,
            "leakage_sites": [self.rng.choice(["venous", "disc", "soft_tissue"])]
            if leakage
            else [],
            "leakage_symptomatic": False if leakage else None,
            "other_complication": "",
            "baseline_pain_nrs": max(pains) if pains else None,
            "responsible_radiologist_id": decision["decided_by_id"],
            "recorded_by_id": decision["decided_by_id"],
            "recorded_at": datetime.combine(performed_on, datetime.min.time(), self.now.tzinfo),
        }
        self.procedures.append(procedure)
        for position, level in enumerate(treated):
            self.treated_levels.append(
                {
                    "id": self._next("treated_level"),
                    "procedure_id": procedure["id"],
                    "position": position,
                    "level": level["level"],
                    "etiology": level.get("etiology") or "",
                    "cement_volume_ml": Decimal(self.rng.randint(15, 55)) / 10,
                    "approach": "transpedicular",
                }
            )
        pain = procedure["baseline_pain_nrs"] if procedure["baseline_pain_nrs"] is not None else 8
        for interval in INTERVALS:
            target = performed_on + timedelta(days=interval.days)
            pain = max(0, pain - self.rng.randint(0, 3))
            recorded = target <= self.today and self.rng.random() < FOLLOW_UP_RECORDED_SHARE
            state = follow_up_state(
                interval=interval, target_date=target, completed=recorded, today=self.today
            )
            row = {
                "id": self._next("follow_up"),
                "procedure_id": procedure["id"],
                "interval": interval.key,
                "target_date": target,
                "status": str(state.value),
                "needs_call": False,
            }
            if recorded:
                assessed = min(target + timedelta(days=self.rng.randint(0, 5)), self.today)
                row.update(
                    assessed_on=assessed,
                    pain_nrs=pain,
                    analgesics=self.rng.choice(["none", "non_opioid", "opioid"]),
                    mobility=self.rng.choice(["independent", "independent", "with_aid"]),
                    back_to_usual_activities=pain <= 3,
                    new_fracture=False,
                    recorded_by_id=decision["decided_by_id"],
                    recorded_at=datetime.combine(assessed, datetime.min.time(), self.now.tzinfo),
                )
            self.follow_ups.append(row)

    def _decision(self, referral, evaluation, outcome: str, *, at, by=None, levels=None) -> dict:
        from reviews.assessment import assess_decision, level_recommendations
        from reviews.models import ReasonCode

        result = evaluation["result"]
        recommendations = level_recommendations(result)
        if outcome == "accept":
            eligible = [label for label, rec in recommendations.items() if rec == "eligible"]
            levels = levels or eligible or list(recommendations)
        else:
            levels = []
        assessment = assess_decision(result=result, outcome=outcome, levels_to_treat=levels)
        kind = {
            "decline": ReasonCode.Kind.DECLINE,
            "request_information": ReasonCode.Kind.INFORMATION,
        }.get(outcome)
        override = assessment.is_override
        decision = {
            "id": self._next("decision"),
            "referral_id": referral["id"],
            "evaluation_id": evaluation["id"],
            "referral_version": referral["version"],
            "outcome": outcome,
            "levels_to_treat": levels,
            "reason_code_id": self.rng.choice(self.reason_codes[kind]) if kind else None,
            "comment": "Discussed at the spine meeting." if override else "",
            "is_override": override,
            "override_reason_id": (
                self.rng.choice(self.reason_codes[ReasonCode.Kind.OVERRIDE]) if override else None
            ),
            "engine_recommendation": evaluation["recommendation"],
            "engine_level_recommendations": recommendations,
            "overridden_rules": assessment.overridden_rules,
            "requires_countersignature": assessment.requires_countersignature,
            "decided_by_id": by or self.rng.choice(self.radiologists),
            "decided_at": at,
        }
        self.decisions.append(decision)
        referral["version"] += 1
        return decision

    # --- history ---------------------------------------------------------------------------

    def history(self) -> dict:
        """simple-history records: creation of every row, and each referral's last change."""

        def record(row: dict, *, when: datetime, kind: str, user: int) -> dict:
            return {
                **row,
                "history_date": when,
                "history_type": kind,
                "history_user_id": user,
                "history_change_reason": None,
            }

        referrals = []
        for row in self.referrals:
            created = {**row, "status": "draft", "version": 1, "latest_evaluation_id": None}
            created.update(recommendation="", flagged=False, assigned_radiologist_id=None)
            referrals.append(
                record(created, when=row["created_at"], kind="+", user=row["physician_id"])
            )
            if row["status"] != "draft":
                by = row.get("assigned_radiologist_id") or row["physician_id"]
                referrals.append(record(row, when=row["updated_at"], kind="~", user=by))
        referral_of = {row["id"]: row for row in self.referrals}
        levels = [
            record(
                row,
                when=referral_of[row["referral_id"]]["created_at"],
                kind="+",
                user=referral_of[row["referral_id"]]["physician_id"],
            )
            for row in self.levels
        ]
        patients = [
            record(row, when=row["created_at"], kind="+", user=row["created_by_id"])
            for row in self.patients
        ]
        return {"referrals": referrals, "levels": levels, "patients": patients}

    def load(self) -> None:
        """COPY the slice in, in foreign-key order (checked at commit: they are deferred)."""
        from django.db import connection

        from eligibility.models import Evaluation
        from outcomes.models import FollowUp, Procedure, TreatedLevel
        from patients.models import Patient, Referral, TargetLevel
        from reviews.models import Countersignature, ReviewDecision
        from summaries.models import SummaryDocument

        history = self.history()
        with connection.cursor() as cursor:
            for model, rows in (
                (Patient, self.patients),
                (Referral, self.referrals),
                (TargetLevel, self.levels),
                (Evaluation, self.evaluations),
                (ReviewDecision, self.decisions),
                (Countersignature, self.countersignatures),
                (SummaryDocument, self.summaries),
                (Procedure, self.procedures),
                (TreatedLevel, self.treated_levels),
                (FollowUp, self.follow_ups),
                (Patient.history.model, history["patients"]),
                (Referral.history.model, history["referrals"]),
                (TargetLevel.history.model, history["levels"]),
            ):
                self.counts[model._meta.label] += copy_rows(cursor, model, rows)
        self.statuses.update(row["status"] for row in self.referrals)
        self.recommendations.update(row["recommendation"] or "(draft)" for row in self.referrals)
        self._forget()

    def finish(self) -> None:
        """Move the sequences past the ids given here."""
        from django.db import connection

        from eligibility.models import Evaluation
        from outcomes.models import FollowUp, Procedure, TreatedLevel
        from patients.models import Patient, Referral, TargetLevel
        from reviews.models import Countersignature, ReviewDecision
        from summaries.models import SummaryDocument

        with connection.cursor() as cursor:
            reset_sequences(
                cursor,
                Patient,
                Referral,
                TargetLevel,
                Evaluation,
                ReviewDecision,
                Countersignature,
                SummaryDocument,
                Procedure,
                TreatedLevel,
                FollowUp,
            )

    def audit_events(self, count: int) -> int:
        """`count` events of signed-in requests spread over the years, made by PostgreSQL
        itself (generate_series): views of referrals of random patients by random users."""
        from django.db import connection

        users = self.physicians + self.radiologists + self.staff
        seconds = int(self.years * 365 * 86400)
        done = 0
        with connection.cursor() as cursor:
            while done < count:
                batch = min(AUDIT_BATCH, count - done)
                cursor.execute(
                    AUDIT_INSERT,
                    {
                        "users": users,
                        "rows": batch,
                        "seconds": seconds,
                        "now": self.now,
                        "patients": self.patient_count,
                        "referrals": self.ids["referral"],
                    },
                )
                done += batch
        self.counts["audit.AuditEvent"] = done
        return done


AUDIT_BATCH = 1_000_000
# Rows of the audit trail as the middleware writes them (a view of a referral, 200), from a
# random user at a random time; the user's name joined from auth_user.
AUDIT_INSERT = """
INSERT INTO audit_auditevent (occurred_at, user_id, username, action, outcome, object_type,
    object_id, patient_id, ip, request_id, method, path, status_code, details)
SELECT %(now)s - make_interval(secs => floor(random() * %(seconds)s)::int),
       u.id, u.username, 'view', 'success', 'referral', g.referral::text,
       g.patient, '127.0.0.1', '', 'GET', '/referrals/' || g.referral || '/', 200, '{}'
FROM (
    SELECT (%(users)s::int[])[1 + floor(random() * cardinality(%(users)s::int[]))::int] AS user_id,
           1 + floor(random() * %(patients)s)::bigint AS patient,
           1 + floor(random() * %(referrals)s)::bigint AS referral
    FROM generate_series(1, %(rows)s)
) AS g
JOIN auth_user u ON u.id = g.user_id
"""


def _levels_with_met_absolute(result: dict) -> list[str]:
    return [
        level["level"]
        for level in result["levels"]
        if any(f["kind"] == "absolute" and f["status"] == "met" for f in level["findings"])
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="N x a clinic's first year: 10,000 N patients, 20,000 N referrals, their "
        "procedures and follow-ups, 200,000 N audit events, over 0.4 N years (at least one)",
    )
    parser.add_argument("--patients", type=int, help="instead of 10,000 x scale")
    parser.add_argument("--referrals", type=int, help="instead of 20,000 x scale")
    parser.add_argument("--audit-events", type=int, help="instead of 10 per referral")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be greater than 0")
    patients = args.patients or max(1, round(common.PATIENTS * args.scale))
    referrals = args.referrals or max(1, round(common.REFERRALS * args.scale))
    audit_events = (
        args.audit_events
        if args.audit_events is not None
        else AUDIT_EVENTS_PER_REFERRAL * referrals
    )
    if referrals < patients:
        parser.error("every patient has a referral: --referrals must be at least --patients")
    if referrals > 3 * patients:
        parser.error("at most 3 referrals a patient: --referrals must be at most 3 x --patients")

    began = mark = time.perf_counter()
    steps: list[tuple[str, float]] = []

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps.append((name, now - mark))
        mark = now

    url = common.database_url()
    recreate_database(url)
    common.setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    step("create database")
    call_command("migrate", verbosity=0, interactive=False)
    step("migrate")
    seeder = Seeder(
        rng=random.Random(args.seed),
        patients=patients,
        referrals=referrals,
        today=timezone.localdate(),
        years=max(1.0, YEARS_PER_SCALE * args.scale),
    )
    with transaction.atomic():
        seeder.users()
    # Slice by slice, each in its own transaction: a slice's rows only are in memory.
    for first in range(1, patients + 1, SLICE_PATIENTS):
        last = min(patients, first + SLICE_PATIENTS - 1)
        share = round(referrals * last / patients) - round(referrals * (first - 1) / patients)
        with transaction.atomic():
            seeder.build(first, last, referrals=share)
            seeder.load()
    seeder.finish()
    step("generate, evaluate, copy")
    # The rows were COPYed past the services that keep the dashboard's tally: count them.
    call_command("cohort_tally_rebuild", verbosity=0)
    step("cohort tally")
    seeder.audit_events(audit_events)
    step("audit events")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    step("vacuum analyze")

    print(
        f"Seeded {common.database_name(url)} at scale {args.scale:g} "
        f"in {time.perf_counter() - began:.1f} s"
    )
    for name, seconds in steps:
        print(f"  {name:<24} {seconds:6.1f} s")
    print(
        f"  {len(seeder.physicians)} physicians, {len(seeder.radiologists)} radiologists, "
        f"{common.STAFF} clinic staff, {AUDITORS} auditors; {seeder.years:g} years of decisions"
    )
    print("  rows:", ", ".join(f"{label} {count}" for label, count in seeder.counts.items()))
    print("  status:", ", ".join(f"{k} {v}" for k, v in seeder.statuses.most_common()))
    print(
        "  recommendation:",
        ", ".join(f"{k} {v}" for k, v in seeder.recommendations.most_common()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
