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

    def __init__(self, *, rng: random.Random, patients: int, referrals: int, today: date):
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
        self.patients: list[dict] = []
        self.referrals: list[dict] = []
        self.levels: list[dict] = []
        self.evaluations: list[dict] = []
        self.decisions: list[dict] = []
        self.countersignatures: list[dict] = []

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

    def build(self) -> None:
        from eligibility.conf import get_thresholds
        from patients.services import default_clinic

        clinic = default_clinic()
        thresholds = get_thresholds()
        for number in range(1, self.patient_count + 1):
            created = self.now - timedelta(days=self.rng.uniform(30, 400))
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
        for patient in self._referral_patients():
            self._referral(patient, thresholds)

    def _referral_patients(self) -> list[dict]:
        """Every patient once, then more referrals spread over them (at most 3 each)."""
        chosen = list(self.patients)
        count = Counter(patient["id"] for patient in chosen)
        while len(chosen) < self.referral_count:
            patient = self.rng.choice(self.patients)
            if count[patient["id"]] < 3:
                count[patient["id"]] += 1
                chosen.append(patient)
        self.rng.shuffle(chosen)
        return chosen[: self.referral_count]

    def _referral(self, patient: dict, thresholds) -> None:
        from eligibility.engine import evaluate
        from patients.cases import case_referral_answers

        stage = self._stage()
        # Waiting referrals and drafts are recent; decided ones spread over the past year.
        days_ago = self.rng.uniform(10, 365) if stage == "decided" else self.rng.uniform(0, 45)
        submitted_at = self.now - timedelta(days=days_ago)
        on = submitted_at.date()
        case = common.generate_case(
            self.rng, today=on, date_of_birth=patient["date_of_birth"], sex=patient["sex"]
        )
        answers, levels = case_referral_answers(case)
        referral = {
            "id": len(self.referrals) + 1,
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
        self.referrals.append(referral)
        for position, level in enumerate(levels):
            self.levels.append(
                {
                    "id": len(self.levels) + 1,
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
        if roll < DRAFT_SHARE:
            return "draft"
        return "waiting" if roll < DRAFT_SHARE + WAITING_SHARE else "decided"

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
            "id": len(self.evaluations) + 1,
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
                    "id": len(self.countersignatures) + 1,
                    "decision_id": decision["id"],
                    "signed_by_id": signer,
                    "signed_at": decided_at + timedelta(hours=2),
                    "comment": "Agreed after discussing the images.",
                }
            )
            referral["version"] += 1
        referral["updated_at"] = decided_at

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
            "id": len(self.decisions) + 1,
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

    def load(self) -> dict[str, int]:
        """COPY everything in, in foreign-key order (checked at commit: they are deferred)."""
        from django.db import connection

        from eligibility.models import Evaluation
        from patients.models import Patient, Referral, TargetLevel
        from reviews.models import Countersignature, ReviewDecision

        history = self.history()
        counts = {}
        with connection.cursor() as cursor:
            for model, rows in (
                (Patient, self.patients),
                (Referral, self.referrals),
                (TargetLevel, self.levels),
                (Evaluation, self.evaluations),
                (ReviewDecision, self.decisions),
                (Countersignature, self.countersignatures),
                (Patient.history.model, history["patients"]),
                (Referral.history.model, history["referrals"]),
                (TargetLevel.history.model, history["levels"]),
            ):
                counts[model._meta.label] = copy_rows(cursor, model, rows)
            reset_sequences(
                cursor, Patient, Referral, TargetLevel, Evaluation, ReviewDecision, Countersignature
            )
        return counts


def _levels_with_met_absolute(result: dict) -> list[str]:
    return [
        level["level"]
        for level in result["levels"]
        if any(f["kind"] == "absolute" and f["status"] == "met" for f in level["findings"])
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=common.PATIENTS)
    parser.add_argument("--referrals", type=int, default=common.REFERRALS)
    parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
    args = parser.parse_args(argv)
    if args.referrals < args.patients:
        parser.error("every patient has a referral: --referrals must be at least --patients")

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
        patients=args.patients,
        referrals=args.referrals,
        today=timezone.localdate(),
    )
    with transaction.atomic():
        seeder.users()
        seeder.build()
        step("generate and evaluate")
        counts = seeder.load()
    step("copy into PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    step("vacuum analyze")

    statuses = Counter(row["status"] for row in seeder.referrals)
    recommendations = Counter(row["recommendation"] or "(draft)" for row in seeder.referrals)
    print(f"Seeded {common.database_name(url)} in {time.perf_counter() - began:.1f} s")
    for name, seconds in steps:
        print(f"  {name:<24} {seconds:6.1f} s")
    print(
        f"  {len(seeder.physicians)} physicians, {len(seeder.radiologists)} radiologists, "
        f"{common.STAFF} clinic staff"
    )
    print("  rows:", ", ".join(f"{label} {count}" for label, count in counts.items()))
    print("  status:", ", ".join(f"{k} {v}" for k, v in statuses.most_common()))
    print("  recommendation:", ", ".join(f"{k} {v}" for k, v in recommendations.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
