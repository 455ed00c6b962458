"""Walk every URL pattern of the project and request each as every role, by GET and POST, on
the role's own object and on someone else's; record what came back.

The URL patterns come from Django's resolver, so a new page is swept (and must be added to
access_matrix.yaml) without anyone remembering to list it here.
"""

import contextlib
import fnmatch
import io
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from audit.models import AuditEvent
from audit.services import patient_id_of

from .world import ROLES, World, new_launch_id

TABLE_PATH = Path(__file__).with_name("access_matrix.yaml")
METHODS = ("GET", "POST")
VARIANTS = ("own", "other")
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
# Object kinds of the table: which object of a bundle fills the URL's id.
BUNDLE_KINDS = {
    "patient": "patient",
    "draft": "draft",
    "submitted": "submitted",
    "claimed": "claimed",
    "awaiting": "awaiting",
    "accepted": "accepted",
    "decision": "pending_decision",
    "document": "document",
    "follow_up": "follow_up",
    "launch": "launch",
    "information_requested": "information_requested",
    "attachment": "attachment",
}
URL_ATTRIBUTE = re.compile(
    r"""\b(?:href|src|action|formaction|hx-get|hx-post|hx-put|hx-patch|hx-delete|data-url)"""
    r"""\s*=\s*["']([^"']*)["']""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Pattern:
    """One URL pattern: its key in the table (view name, or route when unnamed)."""

    key: str
    route: str
    name: str | None
    params: tuple[str, ...]
    regex: bool


def url_patterns() -> list[Pattern]:
    """Every URL pattern the project routes, walked through nested includes."""
    found: list[Pattern] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
                continue
            assert isinstance(entry, URLPattern)
            route = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            pattern = entry.pattern
            if isinstance(pattern, RoutePattern):
                params = tuple(pattern.converters)
            else:
                assert isinstance(pattern, RegexPattern)
                # Unnamed groups (simple-history's admin) are positional: _0, _1, ...
                params = tuple(pattern.regex.groupindex) or tuple(
                    f"_{index}" for index in range(pattern.regex.groups)
                )
            found.append(
                Pattern(
                    key=name or route,
                    route=route,
                    name=name,
                    params=params,
                    regex=isinstance(pattern, RegexPattern) or "^" in prefix,
                )
            )

    walk(get_resolver().url_patterns, "", None)
    return found


# --- The table --------------------------------------------------------------------------------


def load_table() -> dict:
    return yaml.safe_load(TABLE_PATH.read_text())


def table_entry(table: dict, key: str) -> tuple[str, dict] | None:
    """The table's entry for a pattern: an exact key, else the first glob that matches."""
    if key in table:
        return key, table[key]
    for table_key, entry in table.items():
        if any(char in table_key for char in "*?[") and fnmatch.fnmatchcase(key, table_key):
            return table_key, entry
    return None


def expected(entry: dict, method: str, role: str, variant: str):
    """The expected outcome: a status code, or "login" (a redirect to the login page)."""
    value = entry.get(method, {}).get(role)
    if isinstance(value, list):
        return value[VARIANTS.index(variant)]
    return value


def outcome(response) -> int | str:
    """The response as the table spells it."""
    if response.status_code in (301, 302):
        location = urlsplit(response.get("Location", "")).path
        if location.startswith(LOGIN_PATHS):
            return "login"
    return response.status_code


# --- Building URLs ----------------------------------------------------------------------------


def _admin_model(key: str, route: str):
    """The model an admin URL is about, from its name or route."""
    from django.contrib import admin

    for model in admin.site._registry:
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        prefix = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        if key.startswith(f"admin:{label}_") or route.startswith(prefix):
            return model
    return None


def _object_for(world: World, kind: str, role: str, variant: str):
    letter = world.owner_letter(role)
    if variant == "other":
        letter = "b" if letter == "a" else "a"
    if kind in BUNDLE_KINDS:
        return getattr(world.bundles[letter], BUNDLE_KINDS[kind])
    if kind == "notification":
        if variant == "own":
            owner = "physician_a" if role == "anonymous" else role
        else:
            owner = "physician_b" if role == "physician_a" else "physician_a"
        return world.notifications[owner]
    raise LookupError(f"Unknown object kind {kind!r} in the access table.")


def build_url(pattern: Pattern, kind: str | None, world: World, role: str, variant: str) -> str:
    """The URL of the pattern with its parameters filled by the object the table names."""
    if not pattern.params:
        return reverse(pattern.name) if pattern.name else "/" + pattern.route
    values: dict[str, object] = {}
    if kind == "admin":
        model = _admin_model(pattern.key, pattern.route)
        instance = _admin_instance(world, model) if model is not None else None
        if pattern.params == ("_0", "_1"):  # simple-history: an object's version
            version = instance.history.order_by("history_id").first()
            return reverse(pattern.name, args=[instance.pk, version.history_id])
        if "content_type_id" in pattern.params:  # "view on site": the patient's own page
            patient = world.bundles["a"].patient
            instance = patient
            values["content_type_id"] = ContentType.objects.get_for_model(patient).pk
        for param in pattern.params:
            if param in ("object_id", "pk", "id"):
                values[param] = instance.pk
            elif param == "app_label":
                values[param] = "patients"
            elif param == "url":
                values[param] = "no-such-page/"
    elif kind == "unknown_launch":
        values = {pattern.params[0]: new_launch_id()}
    else:
        assert kind is not None, f"{pattern.key} has parameters: name its object kind"
        target = _object_for(world, kind, role, variant)
        values = {param: target.pk for param in pattern.params}
    if pattern.name:
        return reverse(pattern.name, kwargs=values)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), pattern.route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


def _admin_instance(world: World, model):
    if model._meta.label == "patients.Patient":
        return world.bundles["a"].patient
    if model._meta.label == "otp_totp.TOTPDevice":
        return world.helpers["device"]
    instance = model._default_manager.order_by("pk").first()
    assert instance is not None, f"The world has no {model._meta.label} for the admin's pages."
    return instance


# --- The sweep --------------------------------------------------------------------------------


@dataclass
class Probe:
    """One request of the sweep and what it answered."""

    key: str
    kind: str | None
    role: str
    method: str
    variant: str
    url: str
    status: int
    outcome: int | str
    expected: int | str | None
    headers: dict
    urls_in_page: list[str] = field(default_factory=list)
    object_patient_id: int | None = None
    audit_events: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.method} {self.key} as {self.role} ({self.variant} {self.kind}: {self.url})"


HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cache-Control",
    "Content-Type",
    "Location",
    "Content-Disposition",
)


class LogCapture(logging.Handler):
    """Every log record of the sweep, formatted, at DEBUG and above."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@dataclass
class Sweep:
    probes: list[Probe]
    logs: list[str]
    stderr: str
    seconds: float
    missing: list[str]


def _urls_in(response) -> list[str]:
    content_type = response.get("Content-Type", "")
    if not content_type.startswith("text/html") or getattr(response, "streaming", False):
        return []
    return [unquote(url) for url in URL_ATTRIBUTE.findall(response.content.decode(errors="ignore"))]


def _object_kind(entry: dict | None) -> str | None:
    return entry.get("object") if entry else None


def _object_rows(entry: dict | None) -> list[tuple[str | None, dict | None]]:
    """(object kind, expectations): the entry's own row, then its `also` rows (the same URL
    filled with objects in other states, e.g. a draft on the radiologist's review page)."""
    rows = [(_object_kind(entry), entry)]
    for kind, expectations in ((entry or {}).get("also") or {}).items():
        rows.append((kind, expectations))
    return rows


def _variants(kind: str | None) -> tuple[str, ...]:
    """Own and someone else's object, where the URL names one that has an owner."""
    if kind is None or kind in ("admin", "unknown_launch"):
        return ("own",)
    return VARIANTS


def run_sweep(world: World, *, table: dict) -> Sweep:
    """Request every pattern × role × method × object; each request rolled back on its own."""
    probes: list[Probe] = []
    missing: list[str] = []
    capture = LogCapture()
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    stderr = io.StringIO()
    started = time.monotonic()
    try:
        with contextlib.redirect_stderr(stderr):
            for pattern in url_patterns():
                found = table_entry(table, pattern.key)
                if found is None:
                    missing.append(pattern.key)
                entry = found[1] if found else None
                for kind, expectations in _object_rows(entry):
                    for role in ROLES:
                        for method in METHODS:
                            for variant in _variants(kind):
                                probes.append(
                                    _probe(
                                        world, pattern, expectations, kind, role, method, variant
                                    )
                                )
    finally:
        root.removeHandler(capture)
        root.setLevel(saved_level)
    return Sweep(probes, capture.lines, stderr.getvalue(), time.monotonic() - started, missing)


def _probe(world, pattern, expectations, kind, role, method, variant) -> Probe:
    client = world.client(role, raise_request_exception=False)
    with transaction.atomic():
        url = build_url(pattern, kind, world, role, variant)
        target = None
        if kind and kind not in ("admin", "unknown_launch", "notification"):
            target = _object_for(world, kind, role, variant)
        started = time.monotonic()
        response = client.get(url) if method == "GET" else client.post(url)
        elapsed = time.monotonic() - started
        request_id = response.get("X-Request-ID", "")
        events = list(
            AuditEvent.objects.filter(request_id=request_id).values(
                "action", "outcome", "patient_id", "object_type", "object_id", "details"
            )
        )
        probe = Probe(
            key=pattern.key,
            kind=kind,
            role=role,
            method=method,
            variant=variant,
            url=url,
            status=response.status_code,
            outcome=outcome(response),
            expected=expected(expectations, method, role, variant) if expectations else None,
            headers={name: response.get(name) for name in HEADERS if response.has_header(name)},
            urls_in_page=_urls_in(response),
            object_patient_id=_patient_of(target),
            audit_events=events,
            seconds=elapsed,
        )
        transaction.set_rollback(True)
    return probe


def _patient_of(target) -> int | None:
    if target is None:
        return None
    if target._meta.label == "interop.CdsLaunch":
        return target.referral.patient_id
    if target._meta.label == "outcomes.FollowUp":
        return target.procedure.referral.patient_id
    return patient_id_of(target)


# --- Recording a new table --------------------------------------------------------------------


def observed_table(sweep: Sweep, table: dict) -> str:
    """The table as observed, in the file's format, to review before checking it in."""
    rows: dict[str, dict] = {}
    for probe in sweep.probes:
        kinds = rows.setdefault(probe.key, {})
        row = kinds.setdefault(probe.kind, {"GET": {}, "POST": {}})
        row[probe.method].setdefault(probe.role, []).append(probe.outcome)
    lines = []
    for key, kinds in rows.items():
        found = table_entry(table, key)
        primary = _object_kind(found[1]) if found else None
        lines.append(f"{key}:")
        if primary:
            lines.append(f"  object: {primary}")
        lines.extend(_observed_methods(kinds[primary], "  "))
        others = [kind for kind in kinds if kind != primary]
        if others:
            lines.append("  also:")
            for kind in others:
                lines.append(f"    {kind}:")
                lines.extend(_observed_methods(kinds[kind], "      "))
    return "\n".join(lines) + "\n"


def _observed_methods(row: dict, indent: str) -> list[str]:
    lines = []
    for method in METHODS:
        cells = []
        for role in ROLES:
            values = row[method][role]
            value = values[0] if len(set(map(str, values))) == 1 else values
            cells.append(f"{role}: {_flow(value)}")
        lines.append(f"{indent}{method}: {{{', '.join(cells)}}}")
    return lines


def _flow(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def session_cookie_name() -> str:
    return settings.SESSION_COOKIE_NAME
