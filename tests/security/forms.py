"""Find every form the application renders, as each role sees it: where it posts and which
fields (with their offered values) it sends, read from the pages' HTML."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve, reverse

from .sweep import build_url, table_entry, url_patterns
from .world import World

# Who fills each form: the first of these roles that sees it.
FILLERS = ("physician_a", "radiologist", "staff", "superuser", "anonymous")
# Posting these ends the session or needs a code sent to a phone: not form input to fuzz.
NOT_FUZZED = {"logout", "admin:logout", "accounts:otp-verify"}


@dataclass
class Field:
    name: str
    kind: str  # text, number, date, hidden, select, checkbox, radio, textarea, submit, ...
    options: list[str] = field(default_factory=list)  # offered values (select, radio, ...)
    value: str = ""  # the value the page put in


@dataclass
class FormTarget:
    """One form: where it sends, by which method, as whom, and its fields."""

    key: str  # the URL pattern it sends to
    role: str
    method: str
    action: str
    page: str
    fields: dict[str, Field]

    @property
    def label(self) -> str:
        return f"{self.method} {self.key} as {self.role} (form of {self.page})"


class _FormParser(HTMLParser):
    """Collects forms (and the htmx requests inside them) with their named controls."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        # ([(method, action), ...], {name: Field}) per form
        self.forms: list[tuple[list[tuple[str, str]], dict[str, Field]]] = []
        self._current: tuple[list[tuple[str, str]], dict[str, Field]] | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            method = (attributes.get("method") or "get").upper()
            actions = [(method, attributes.get("action") or self.page)]
            for verb in ("get", "post"):
                if attributes.get(f"hx-{verb}"):
                    actions.append((verb.upper(), attributes[f"hx-{verb}"]))
            self._current = (actions, {})
            self.forms.append(self._current)
            return
        if self._current is None:
            return
        actions, fields = self._current
        for verb in ("get", "post"):
            if attributes.get(f"hx-{verb}"):
                actions.append((verb.upper(), attributes[f"hx-{verb}"]))
        if attributes.get("formaction"):
            actions.append((actions[0][0], attributes["formaction"]))
        name = attributes.get("name")
        if tag == "select" and name:
            self._select = fields.setdefault(name, Field(name, "select"))
        elif tag == "option" and self._select is not None:
            self._select.options.append(attributes.get("value") or "")
        elif tag in ("input", "button", "textarea") and name:
            kind = attributes.get("type") or ("textarea" if tag == "textarea" else "text")
            if tag == "button":
                kind = "submit"
            existing = fields.get(name)
            value = attributes.get("value") or ""
            if existing is None:
                fields[name] = Field(name, kind, [value] if value else [], value)
            elif value and value not in existing.options:
                existing.options.append(value)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def _pattern_key(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name if match.url_name else match.route


def _extra_pages(world: World) -> list[tuple[str, str]]:
    """Pages whose forms only show in states the URL sweep does not open: the decision form
    (a referral under the radiologist's review), the countersignature and correction forms."""
    bundle = world.bundles["a"]
    pending = bundle.pending_decision.referral_id
    return [
        ("radiologist", reverse("reviews:review", args=[bundle.claimed.pk])),
        ("radiologist2", reverse("reviews:review", args=[pending])),
        ("radiologist2", reverse("reviews:countersign", args=[bundle.pending_decision.pk])),
        ("radiologist", reverse("reviews:review", args=[bundle.awaiting.pk])),
    ]


def discover_forms(world: World, table: dict) -> list[FormTarget]:
    """Every form of every page, once per (method, URL pattern, field names), as its filler."""
    pages: list[tuple[str, str]] = []
    for role in FILLERS:
        for pattern in url_patterns():
            if pattern.key.startswith("admin") or pattern.key in NOT_FUZZED:
                continue
            entry = table_entry(table, pattern.key)
            kind = entry[1].get("object") if entry else None
            pages.append((role, build_url(pattern, kind, world, role, "own")))
    pages += _extra_pages(world)
    found: dict[tuple, FormTarget] = {}
    for role, page in pages:
        response = world.client(role).get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _FormParser(page)
        parser.feed(response.content.decode())
        for actions, fields in parser.forms:
            for method, action in actions:
                key = _pattern_key(action)
                if key is None or key in NOT_FUZZED or key.startswith("admin"):
                    continue
                names = frozenset(name for name in fields if name != "csrfmiddlewaretoken")
                if method == "GET" and not names:
                    continue  # a link styled as a form: nothing to fill
                found.setdefault(
                    (method, key, names),
                    FormTarget(key, role, method, action, page, dict(fields)),
                )
    return list(found.values())
