"""Reads of the review app: the worklist, the override table, a referral's review history."""

import functools
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
)

from accounts.roles import Role, has_role
from eligibility.engine import RULES, RULES_BY_ID
from eligibility.i18n import rule_text
from eligibility.models import Evaluation
from patients.models import WAITING_STATUSES, WORKLIST_RANK, Referral, TargetLevel
from patients.selectors import Change, case_changes
from patients.vocabulary import (
    LEVEL_FIELDS,
    NO_VALUE,
    REFERRAL_FIELDS,
    answer_text,
    label,
    recommendation_label,
)

from .models import (
    Countersignature,
    InformationAttachment,
    InformationReply,
    Notification,
    ReviewDecision,
)

WORKLIST_STATUSES = WAITING_STATUSES  # the statuses the worklist index covers
# Flagged first, then incomplete, eligible, not eligible.
QUEUE_RANK = WORKLIST_RANK


@dataclass(frozen=True)
class WorklistFilters:
    recommendation: str = ""
    status: str = ""
    level: str = ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    assigned_to_me: bool = False
    search: str = ""
    sort: str = ""  # a WORKLIST_SORTS key, "-" in front for descending; "" is queue order


# The worklist's sortable columns: key -> the fields it orders by. Every order ends with "id",
# a stable tie-breaker (a keyset page can continue after the last row's values).
WORKLIST_SORTS: dict[str, tuple[str, ...]] = {
    "patient": ("patient__family_name", "patient__given_name"),
    "age": ("-patient__date_of_birth",),  # youngest first
    "recommendation": ("queue_rank", "submitted_at"),  # the queue order, flagged first
    "physician": ("physician__last_name", "physician__first_name"),
    "waiting": ("-submitted_at",),  # the shortest wait first
}
WORKLIST_DEFAULT_SORT = "recommendation"


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def worklist_order(sort: str) -> list[str]:
    """The order_by() fields of a worklist sort key ("age", "-age" for descending, …); an
    unknown or empty key gives the queue order. The tie-breaker id follows the direction."""
    key = sort.removeprefix("-")
    if key not in WORKLIST_SORTS:
        key, sort = WORKLIST_DEFAULT_SORT, WORKLIST_DEFAULT_SORT
    fields = [*WORKLIST_SORTS[key], "id"]
    return [_flip(field) for field in fields] if sort.startswith("-") else fields


# The columns a worklist row shows (see reviews.views.worklist_rows), by the names the rows
# read them: not the referral's answers, the users' password hashes or the evaluation's case.
WORKLIST_ROW_COLUMNS = ("id", "patient_id", "status", "recommendation", "flagged", "submitted_at")
WORKLIST_ROW_RELATED = {
    "family_name": "patient__family_name",
    "given_name": "patient__given_name",
    "mrn": "patient__mrn",
    "date_of_birth": "patient__date_of_birth",
    "physician_username": "physician__username",
    "physician_first_name": "physician__first_name",
    "physician_last_name": "physician__last_name",
    "radiologist_username": "assigned_radiologist__username",
    "radiologist_first_name": "assigned_radiologist__first_name",
    "radiologist_last_name": "assigned_radiologist__last_name",
    "result": "latest_evaluation__result",
}


@functools.cache
def _worklist_queryset() -> QuerySet[Referral]:
    """The unfiltered worklist query, built once per process (building it costs ~1 ms of CPU,
    cloning it microseconds). Only ever cloned, never evaluated, so it caches no rows."""
    return (
        Referral.objects.filter(status__in=WORKLIST_STATUSES)
        .annotate(queue_rank=QUEUE_RANK)
        .order_by(*worklist_order(WORKLIST_DEFAULT_SORT))
    )


def _decided_in(decisions: QuerySet[ReviewDecision]) -> Q:
    """The referrals one of `decisions` is about.

    On PostgreSQL `id = ANY(ARRAY(the decisions' referral ids))`: the list is read once, and
    the page is read in queue order from the worklist index. As EXISTS (or IN) the planner
    pulled the decisions' four-table join into the page's five-table one, past
    join_collapse_limit, and joined every waiting referral to its patient, physician and
    evaluation before keeping those few (~26 ms of database CPU on the bench, ~5 ms this way).
    """
    ids = decisions.order_by().values("referral_id")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return Q(
            Func(
                F("id"),
                ArraySubquery(ids),
                template="%(expressions)s)",
                arg_joiner=" = ANY(",
                output_field=BooleanField(),
            )
        )
    return Q(id__in=ids)


def worklist_referrals(*, user, filters: WorklistFilters | None = None) -> QuerySet[Referral]:
    """Referrals waiting for a radiologist, in queue order; `worklist_values` gives (a page
    of) them as the rows of the list.

    Oldest submission first within each recommendation; `worklist_values` adds each row's
    countersignature state.
    """
    filters = filters or WorklistFilters()
    referrals = _worklist_queryset().all()  # a clone: the template is never evaluated
    if filters.recommendation:
        referrals = referrals.filter(recommendation=filters.recommendation)
    if filters.status == "pending_countersignature":
        referrals = referrals.filter(
            _decided_in(ReviewDecision.objects.awaiting_countersignature())
        )
    elif filters.status == "countersignature_refused":
        referrals = referrals.filter(_decided_in(ReviewDecision.objects.countersignature_refused()))
    elif filters.status:
        referrals = referrals.filter(status=filters.status)
    if filters.level:
        referrals = referrals.filter(
            Exists(TargetLevel.objects.filter(referral=OuterRef("pk"), level=filters.level))
        )
    if filters.submitted_from:
        referrals = referrals.filter(submitted_at__date__gte=filters.submitted_from)
    if filters.submitted_to:
        referrals = referrals.filter(submitted_at__date__lte=filters.submitted_to)
    if filters.assigned_to_me:
        referrals = referrals.filter(assigned_radiologist=user)
    for term in filters.search.split():
        referrals = referrals.filter(
            Q(patient__family_name__icontains=term)
            | Q(patient__given_name__icontains=term)
            | Q(patient__mrn__iexact=term)
        )
    if filters.sort:
        referrals = referrals.order_by(*worklist_order(filters.sort))
    return referrals


@dataclass(frozen=True)
class WorklistCounts:
    """How many referrals wait in each state, across the whole worklist (unfiltered)."""

    submitted: int
    under_review: int
    pending_countersignature: int
    countersignature_refused: int

    @property
    def total(self) -> int:
        return self.submitted + self.under_review


def worklist_counts() -> WorklistCounts:
    """The worklist's counts per status, in one query.

    The countersignature states are counted as `id IN (the decisions' referral ids)`, not
    with the worklist's EXISTS annotations: PostgreSQL runs an uncorrelated IN list once, as
    a hashed subplan, but an EXISTS in an aggregate's FILTER once per waiting referral
    (~33 ms of database CPU on the 20,000-referral bench, ~9 ms this way)."""
    pending = ReviewDecision.objects.awaiting_countersignature().values("referral_id")
    refused = ReviewDecision.objects.countersignature_refused().values("referral_id")
    counts = Referral.objects.filter(status__in=WORKLIST_STATUSES).aggregate(
        submitted=Count("id", filter=Q(status=Referral.Status.SUBMITTED)),
        under_review=Count("id", filter=Q(status=Referral.Status.UNDER_REVIEW)),
        pending=Count("id", filter=Q(id__in=pending)),
        refused=Count("id", filter=Q(id__in=refused)),
    )
    return WorklistCounts(
        submitted=counts["submitted"],
        under_review=counts["under_review"],
        pending_countersignature=counts["pending"],
        countersignature_refused=counts["refused"],
    )


def worklist_values(referrals: QuerySet[Referral]) -> list[dict]:
    """The columns a worklist row shows, for a page of `worklist_referrals`, as dicts (the
    keys of WORKLIST_ROW_COLUMNS and WORKLIST_ROW_RELATED, `pending_countersignature` and
    `countersignature_refused`): two queries whatever the rows, and no model instances —
    building a Referral with its patient, two users and its evaluation per row cost more
    than the values in them.

    The countersignature states are read for the page's referrals only, after the page. As
    EXISTS columns of the page's query, PostgreSQL expected to test every waiting referral
    and hashed every decision that ever needed a countersignature instead (7,230 at ten
    years: 28 ms of the page's 30)."""
    related = {name: F(path) for name, path in WORKLIST_ROW_RELATED.items()}
    rows = list(referrals.values(*WORKLIST_ROW_COLUMNS, **related))
    awaiting, refused = _countersignature_states([row["id"] for row in rows])
    for row in rows:
        row["pending_countersignature"] = row["id"] in awaiting
        row["countersignature_refused"] = row["id"] in refused
    return rows


def _countersignature_states(referral_ids: list[int]) -> tuple[set[int], set[int]]:
    """Of these referrals, those with a decision awaiting a second radiologist's signature,
    and those with one a second radiologist refused (ReviewDecision.objects'
    awaiting_countersignature and countersignature_refused): one query over their pending
    decisions, looked up by referral."""
    if not referral_ids:
        return set(), set()
    pending = (
        ReviewDecision.objects.pending_countersignature()
        .filter(referral_id__in=referral_ids)
        .annotate(
            refused=ExpressionWrapper(
                Q(countersignature_refusal__isnull=False), output_field=BooleanField()
            )
        )
        .values_list("referral_id", "refused")
    )
    awaiting: set[int] = set()
    refused: set[int] = set()
    for referral_id, was_refused in pending:
        (refused if was_refused else awaiting).add(referral_id)
    return awaiting, refused


def _override_rule_counts() -> dict[str, int]:
    """{rule id: number of current override decisions that overrode it}, in one query."""
    table = ReviewDecision._meta.db_table
    if connection.vendor == "postgresql":
        rules = "CROSS JOIN LATERAL jsonb_array_elements_text(d.overridden_rules) AS r(rule)"
        rule = "r.rule"
    else:  # SQLite, for `make run` without PostgreSQL
        rules = ", json_each(d.overridden_rules) AS r"
        rule = "r.value"
    sql = (
        f"SELECT {rule}, COUNT(*) FROM {table} d {rules} "  # noqa: S608 - no user input
        f"WHERE d.is_override AND NOT EXISTS "
        f"(SELECT 1 FROM {table} c WHERE c.supersedes_id = d.id) GROUP BY {rule}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {rule_id: count for rule_id, count in cursor.fetchall()}


@dataclass(frozen=True)
class OverrideRow:
    rule: str
    kind: str
    text: str
    count: int


@dataclass(frozen=True)
class OverrideTable:
    rows: list[OverrideRow]
    total: int
    declined_eligible: int


# The override table changes with decisions only, and costs two aggregates over all of them:
# it is cached for at most OVERRIDE_TABLE_SECONDS, and forgotten when a decision is recorded
# (in this process at once; other processes' local caches expire within that time).
OVERRIDE_TABLE_CACHE_KEY = "reviews:override-table:v1"
OVERRIDE_TABLE_SECONDS = 60


def override_table() -> OverrideTable:
    """How often radiologists overrode each rule (current decisions), most overridden first.

    Served from the cache when it holds one no older than OVERRIDE_TABLE_SECONDS.
    """
    try:
        table = cache.get(OVERRIDE_TABLE_CACHE_KEY)
    except Exception:  # a cache outage must not fail the worklist
        table = None
    if isinstance(table, OverrideTable):
        return table
    table = _override_table()
    try:
        cache.set(OVERRIDE_TABLE_CACHE_KEY, table, OVERRIDE_TABLE_SECONDS)
    except Exception:  # noqa: S110 - not cached this time; computed again next time
        pass
    return table


def override_table_forget() -> None:
    """Drop the cached override table now and again when the current transaction commits
    (so that a page rendered meanwhile cannot cache the table without the new decision)."""

    def forget() -> None:
        try:
            cache.delete(OVERRIDE_TABLE_CACHE_KEY)
        except Exception:  # noqa: S110 - the entry expires on its own
            pass

    forget()
    transaction.on_commit(forget)


def _override_table() -> OverrideTable:
    """How often radiologists overrode each rule (current decisions), most overridden first."""
    counts = _override_rule_counts()
    order = {rule.id: index for index, rule in enumerate(RULES)}
    rows = [
        OverrideRow(rule_id, RULES_BY_ID[rule_id].kind, RULES_BY_ID[rule_id].text, count)
        if rule_id in RULES_BY_ID
        else OverrideRow(rule_id, "", "", count)
        for rule_id, count in counts.items()
    ]
    rows.sort(key=lambda row: (-row.count, order.get(row.rule, len(order))))
    totals = (
        ReviewDecision.objects.current()
        .filter(is_override=True)
        .aggregate(
            total=Count("id"),
            declined=Count("id", filter=Q(outcome=ReviewDecision.Outcome.DECLINE)),
        )
    )
    return OverrideTable(rows, totals["total"], totals["declined"])


def review_referral(referral_id: int) -> Referral:
    """A referral a radiologist may open (any but a draft), with patient and people joined.

    Its latest evaluation is not joined: the review page takes it from referral_evaluations.
    """
    return (
        Referral.objects.exclude(status=Referral.Status.DRAFT)
        .select_related("patient", "physician", "assigned_radiologist")
        .get(pk=referral_id)
    )


def decision_referral(referral_id: int) -> Referral:
    """A referral a radiologist may decide on (any but a draft), for the decision POST: its
    latest evaluation's result joined (not its case); what else a page needs loads lazily."""
    return (
        Referral.objects.exclude(status=Referral.Status.DRAFT)
        .select_related("latest_evaluation")
        .defer("latest_evaluation__case")
        .get(pk=referral_id)
    )


def referral_evaluations(referral: Referral) -> list[Evaluation]:
    """The referral's evaluations, newest first; the referral's `latest_evaluation` is set to
    the one of them it points to (no second query for it)."""
    evaluations = list(Evaluation.objects.filter(referral=referral).order_by("-created_at", "-id"))
    latest = next((e for e in evaluations if e.pk == referral.latest_evaluation_id), None)
    if latest is not None:
        Referral.latest_evaluation.field.set_cached_value(referral, latest)
    return evaluations


def referral_decisions(referral: Referral) -> list[ReviewDecision]:
    """All decisions on the referral, newest first, with reasons and signatures joined.

    `correction_count` is True (1) for a decision a later one corrects, else False (0):
    corrections form a chain, a decision has at most one (an EXISTS, not COUNT + GROUP BY).
    """
    corrections = ReviewDecision.objects.filter(supersedes=OuterRef("pk"))
    return list(
        ReviewDecision.objects.filter(referral=referral)
        .select_related(
            "reason_code",
            "override_reason",
            "decided_by",
            "countersignature__signed_by",
            "countersignature_refusal__refused_by",
        )
        .annotate(correction_count=Exists(corrections))
        .order_by("-decided_at", "-id")
    )


def countersign_decisions() -> QuerySet[ReviewDecision]:
    """Decisions with what their countersignature page shows joined: the referral, its
    patient, the deciding radiologist, a countersignature or refusal."""
    return ReviewDecision.objects.select_related(
        "referral__patient",
        "decided_by",
        "countersignature__signed_by",
        "countersignature_refusal__refused_by",
    ).annotate(correction_count=Exists(ReviewDecision.objects.filter(supersedes=OuterRef("pk"))))


@dataclass(frozen=True)
class OverriddenRule:
    rule: str
    kind: str
    text: str


def overridden_rules(decision: ReviewDecision) -> list[OverriddenRule]:
    """The rules a decision overrode, in the seed's words, absolute contraindications first."""
    order = {"absolute": 0, "relative": 1, "indication": 2}
    rows = [
        OverriddenRule(rule_id, RULES_BY_ID[rule_id].kind, rule_text(rule_id))
        if rule_id in RULES_BY_ID
        else OverriddenRule(rule_id, "", rule_id)
        for rule_id in decision.overridden_rules
    ]
    return sorted(rows, key=lambda row: order.get(row.kind, 3))


def current_decision(decisions: list[ReviewDecision]) -> ReviewDecision | None:
    """The decision no other corrects, from a list made by referral_decisions."""
    return next((d for d in decisions if not d.correction_count), None)


@dataclass(frozen=True)
class EvaluationChange:
    evaluation: Evaluation
    answers: list[Change]
    recommendations: list[tuple[str, str, str]]


def evaluation_changes(evaluations: list[Evaluation]) -> list[EvaluationChange]:
    """For each evaluation (newest first), what changed since the one before it."""
    changes = []
    for newer, older in zip(evaluations, evaluations[1:], strict=False):
        answers = case_changes(older.case, newer.case)
        old_recs = {lv["level"]: lv["recommendation"] for lv in older.result.get("levels", [])}
        new_recs = {lv["level"]: lv["recommendation"] for lv in newer.result.get("levels", [])}
        recommendations = [
            (
                level,
                recommendation_label(old_recs.get(level, "")),
                recommendation_label(new_recs.get(level, "")),
            )
            for level in dict.fromkeys([*old_recs, *new_recs])
            if old_recs.get(level) != new_recs.get(level)
        ]
        changes.append(EvaluationChange(newer, answers, recommendations))
    return changes


USER_FIELDS = frozenset({"physician", "assigned_radiologist"})
# Recorded fields worded as answers: an empty one reads "Unknown", not "—".
ANSWER_FIELDS = frozenset({"assessed_on", *REFERRAL_FIELDS, *LEVEL_FIELDS})


def referral_history(referral: Referral, *, limit: int = 50) -> list[dict]:
    """The referral's change history, newest first: who, when, and which fields changed.

    People appear by name (one query for all of them), never by id.
    """
    records = list(
        referral.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    deltas = []
    for record, previous in zip(records[:limit], records[1:] + [None], strict=False):
        changes = []
        if previous is not None:
            changes = record.diff_against(previous, excluded_fields=["updated_at"]).changes
        deltas.append((record, changes))
    user_ids = {
        value
        for _, changes in deltas
        for change in changes
        if change.field in USER_FIELDS
        for value in (change.old, change.new)
        if value
    }
    # The people already loaded (the referral's physician and radiologist when joined, the
    # records' authors) are named without a query; only the others are read.
    known = [record.history_user for record in records]
    for field in (Referral.physician, Referral.assigned_radiologist):
        if field.is_cached(referral):
            known.append(getattr(referral, field.field.name))
    names = {user.pk: user.get_full_name() or user.username for user in known if user is not None}
    missing = user_ids - names.keys()
    if missing:
        names.update(
            (user.pk, user.get_full_name() or user.username)
            for user in get_user_model().objects.filter(pk__in=missing)
        )

    def shown(field: str, value) -> str:
        if field in USER_FIELDS:
            return names.get(value, NO_VALUE) if value else NO_VALUE
        if field == "latest_evaluation":
            return f"#{value}" if value else NO_VALUE
        if field == "recommendation":
            return recommendation_label(value)
        if value is None or value == "":
            return NO_VALUE if field not in ANSWER_FIELDS else answer_text(field, value)
        return answer_text(field, value)

    return [
        {
            "record": record,
            "changed": [
                Change(label(c.field), shown(c.field, c.old), shown(c.field, c.new))
                for c in changes
            ],
        }
        for record, changes in deltas
    ]


def unread_notification_count(user) -> int:
    return Notification.objects.unread().filter(recipient=user).count()


def user_notifications(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related(
        "referral__patient", "decision__reason_code"
    )


@dataclass(frozen=True)
class InformationExchange:
    """A radiologist's information request and the physician's answers to it, oldest first."""

    request: ReviewDecision
    replies: list[InformationReply]
    is_open: bool


def information_thread(referral: Referral, *, until=None) -> list[InformationExchange]:
    """The referral's information requests, oldest first, each with its answers and their
    attachments: three queries, however many there are (or none); `until` leaves out what was
    written after that moment (a stored summary shows the thread as it was). The latest
    request is open while the referral waits for the physician's answer."""
    requests = ReviewDecision.objects.filter(
        referral=referral, outcome=ReviewDecision.Outcome.REQUEST_INFORMATION
    )
    replies = InformationReply.objects.filter(referral=referral)
    attachments = InformationAttachment.objects.filter(reply__referral=referral)
    if until is not None:
        requests = requests.filter(decided_at__lte=until)
        replies = replies.filter(written_at__lte=until)
    by_reply: dict[int, list[InformationAttachment]] = {}
    for attachment in attachments.order_by("id"):
        by_reply.setdefault(attachment.reply_id, []).append(attachment)
    by_request: dict[int, list[InformationReply]] = {}
    for reply in replies.select_related("written_by").order_by("written_at", "id"):
        reply.attachment_list = by_reply.get(reply.pk, [])
        by_request.setdefault(reply.request_id, []).append(reply)
    exchanges = list(requests.select_related("decided_by").order_by("decided_at", "id"))
    waiting = referral.status == Referral.Status.INFORMATION_REQUESTED
    return [
        InformationExchange(
            request=request,
            replies=by_request.get(request.pk, []),
            is_open=waiting and index == len(exchanges) - 1,
        )
        for index, request in enumerate(exchanges)
    ]


def open_information_request(thread: list[InformationExchange]) -> InformationExchange | None:
    """The request the physician is asked to answer now, if any."""
    return next((exchange for exchange in thread if exchange.is_open), None)


def attachment_for(*, user, pk: int) -> InformationAttachment:
    """The attachment if the user may open it, with its reply and referral; DoesNotExist
    otherwise (the view answers 404, existence not revealed). The referring physician opens
    their own referral's files; radiologists and clinic staff those of any referral."""
    attachment = InformationAttachment.objects.select_related("reply__referral").get(pk=pk)
    referral = attachment.reply.referral
    if has_role(user, Role.RADIOLOGIST, Role.STAFF):
        return attachment
    if has_role(user, Role.PHYSICIAN) and referral.physician_id == user.pk:
        return attachment
    raise InformationAttachment.DoesNotExist


RECENT_DECISIONS = 5


def recent_decisions_in_effect(user) -> QuerySet[ReviewDecision]:
    """The latest decisions in effect on `user`'s referrals, newest first, with their patient
    (the box on the physician's referral list).

    Current (no correction) and in effect (no countersignature needed, or countersigned), as
    NOT EXISTS / EXISTS: a LEFT JOIN with an OR misled PostgreSQL into sequential scans. The
    newest few are found by walking every decision newest first (`decision_newest_idx`) until
    the physician's own turn up — about RECENT_DECISIONS x the number of physicians rows,
    whatever the years of history; reading every decision of a physician's referrals and
    sorting them grew with them (86 ms at ten years, 7 ms this way).
    """
    corrections = ReviewDecision.objects.filter(supersedes=OuterRef("pk"))
    countersigned = Countersignature.objects.filter(decision=OuterRef("pk"))
    newest = (
        ReviewDecision.objects.filter(~Exists(corrections), referral__physician=user)
        .filter(Q(requires_countersignature=False) | Exists(countersigned))
        .order_by("-decided_at", "-id")
        .values("pk")[:RECENT_DECISIONS]
    )
    # The newest few are picked first and only they are joined to their patients: joined
    # before the LIMIT, PostgreSQL hashed the whole patient table on every list.
    return (
        ReviewDecision.objects.filter(pk__in=newest)
        .select_related("referral__patient")
        # Only what the box prints (templates/reviews/_referral_decisions.html and
        # _decision_words.html, which reads the reason as worded when signed): no answers,
        # no evaluation, no user rows. A field left out here is read by one query per
        # decision when the template reaches it.
        .only(
            "outcome",
            "levels_to_treat",
            "decided_at",
            "reason_code",
            "reason_label",
            "referral__patient__family_name",
            "referral__patient__given_name",
        )
        .order_by("-decided_at", "-id")[:RECENT_DECISIONS]
    )
