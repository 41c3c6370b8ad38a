"""Audit entries as plain dicts, the one representation of ``/api/v1/audit-events/``, and
as sentences for people (the activity page, an object's history)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.text import capfirst
from django.utils.translation import gettext

from billora.api.formats import timestamp


def audit_event_dict(entry, tz=None) -> dict:
    actor_id = entry.actor_user_id or entry.actor_api_key_id
    return {
        "id": str(entry.pk),
        "action": entry.action,
        "actor": {"type": entry.actor_type, "id": str(actor_id) if actor_id else None, "label": entry.actor_label},
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "changes": entry.changes,
        "ip": None if entry.ip is None else str(entry.ip),
        "request_id": entry.request_id,
        "created_at": timestamp(entry.created_at, tz),
    }


def present_audit_events(entries) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [audit_event_dict(entry, tz) for entry in entries]


# --- the activity page: entries as sentences -------------------------------------------------
#
# audit knows no other app's objects. Each app describes its own actions, objects and fields
# in its AppConfig.ready() (``describe_actions``, ``describe_targets``, ``describe_fields``);
# an entry nobody described still reads, from the labels it carries.

SYSTEM_NAME = "Billora"


@dataclass(frozen=True)
class Link:
    """A placeholder's value shown as a link (``url`` None: plain text)."""

    text: str
    url: str | None = None

    def __html__(self):
        if self.url:
            return format_html('<a href="{}">{}</a>', self.url, self.text)
        return conditional_escape(self.text)


@dataclass(frozen=True)
class Wording:
    """How one action reads. ``sentence`` names its placeholders: ``{actor}``, ``{target}`` and
    whatever ``values(entry, links)`` returns (strings or ``Link``s, escaped when shown)."""

    sentence: str
    label: str = ""  # the action filter's option, e.g. "Payment recorded"
    values: Callable | None = None
    links_target: bool = True  # False when the object is gone (deleted)


@dataclass(frozen=True)
class TargetKind:
    """An object type: its noun, its page, and how its stored label reads in a sentence."""

    noun: str
    url_name: str = ""
    url_kwarg: str = ""
    # label -> the words naming it in a sentence (default: "<noun> <label>")
    text: Callable[[str], str] | None = None


ACTIONS: dict[str, Wording] = {}
TARGETS: dict[str, TargetKind] = {}
FIELD_LABELS: dict[str, str | None] = {}  # None: not shown (ids nobody reads)
VALUE_TEXT: dict[str, Callable[[object], str]] = {}


def describe_actions(wordings: dict[str, Wording]) -> None:
    ACTIONS.update(wordings)


def describe_targets(kinds: dict[str, TargetKind]) -> None:
    TARGETS.update(kinds)


def describe_fields(labels: dict[str, str | None], *, values: dict[str, dict | Callable] | None = None) -> None:
    """Field labels, and how a field's stored values read: a {value: label} dict (choices) or
    a function of the value."""
    FIELD_LABELS.update(labels)
    for name, text in (values or {}).items():
        VALUE_TEXT[name] = (lambda value, choices=text: choices.get(value, value)) if isinstance(text, dict) else text


def action_label(action: str) -> str:
    wording = ACTIONS.get(action)
    return wording.label if wording and wording.label else capfirst(action.replace(".", " ").replace("_", " "))


def target_type_label(target_type: str) -> str:
    kind = TARGETS.get(target_type)
    return capfirst(kind.noun if kind else target_type.replace("_", " "))


class Links:
    """Builds links to an organization's pages for the wordings' values."""

    def __init__(self, organization):
        self.organization = organization

    def to(self, target_type: str, target_id, text: str) -> Link:
        kind = TARGETS.get(target_type)
        if kind is None or not kind.url_name or not target_id or self.organization is None:
            return Link(text)
        kwargs = {"org_slug": self.organization.slug}
        if kind.url_kwarg:  # else the page lists them all (members, API keys)
            kwargs[kind.url_kwarg] = str(target_id)
        try:
            url = reverse(kind.url_name, kwargs=kwargs)
        except NoReverseMatch:  # not an id the page takes (e.g. an entry written by a script)
            return Link(text)
        return Link(text, url)


def target_text(target_type: str, label: str) -> str:
    kind = TARGETS.get(target_type)
    if kind is None:
        return label or target_type.replace("_", " ")
    if kind.text is not None:
        return kind.text(label)
    return f"{kind.noun} {label}".strip()


@dataclass
class ChangeRow:
    label: str
    old: str
    new: str


@dataclass
class ChangeTable:
    """A list of records that changed (an invoice's lines): the added and the removed."""

    label: str
    columns: list[str]
    rows: list[tuple[str, list[tuple[str, str, bool]]]]  # (Added/Removed, [(column, cell, wraps)])
    unchanged: int


LONG_CELL = 24  # a column with longer values may break them anywhere; others never break


@dataclass
class ActivityItem:
    entry: object
    sentence: str
    changes: list[ChangeRow] = field(default_factory=list)
    tables: list[ChangeTable] = field(default_factory=list)


def present_activity(entries, *, organization) -> list[ActivityItem]:
    """Entries as the activity page and the object histories show them."""
    links = Links(organization)
    return [_activity_item(entry, links) for entry in entries]


def _activity_item(entry, links: Links) -> ActivityItem:
    item = ActivityItem(entry=entry, sentence=_sentence(entry, links))
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    for name in _in_label_order(changes):
        values = changes[name]
        old, new = values if isinstance(values, list | tuple) and len(values) == 2 else (None, values)
        label = FIELD_LABELS.get(name, capfirst(str(name).replace("_", " ")))
        if label is None or (_is_id(old) and _is_id(new)):
            continue
        if _is_records(old) or _is_records(new):
            item.tables.append(_change_table(label, old or [], new or []))
        elif old != new:
            item.changes.append(ChangeRow(label, _value_text(name, old), _value_text(name, new)))
    return item


def _sentence(entry, links: Links) -> str:
    wording = ACTIONS.get(entry.action)
    actor = SYSTEM_NAME if entry.actor_type == "system" else entry.actor_label
    text = target_text(entry.target_type, entry.target_label or "")
    linked = wording is None or wording.links_target
    values = {"actor": actor, "target": links.to(entry.target_type, entry.target_id, text) if linked else Link(text)}
    if wording is None:
        what = action_label(entry.action).lower()
        return format_html("{}: {} {}", actor, what, values["target"]) if entry.target_type else f"{actor}: {what}"
    if wording.values is not None:
        values.update(wording.values(entry, links))
    return format_html(wording.sentence, **values)


def _value_text(name, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if name in VALUE_TEXT:
        value = VALUE_TEXT[name](value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(_value_text(name, item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{FIELD_LABELS.get(k) or k}: {_value_text(k, v)}" for k, v in value.items())
    return _date_text(str(value))


def _date_text(value: str) -> str:
    """ISO dates and times (how entries store them) as a person writes them (month names in the
    page's language: audit knows no billing, so Django's date format rather than billora.formatting)."""
    try:
        if len(value) == 10:
            return date_format(date.fromisoformat(value), "j M Y")
        if len(value) > 10 and value[10] == "T":
            moment = datetime.fromisoformat(value)
            return date_format(timezone.localtime(moment) if timezone.is_aware(moment) else moment, "j M Y, H:i")
    except ValueError:
        pass
    return value


def _in_label_order(names) -> list[str]:
    """Fields in the order their app described them (jsonb keeps keys in an order of its own)."""
    order = {name: position for position, name in enumerate(FIELD_LABELS)}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


def _is_id(value) -> bool:
    """An id (UUID) or a list of them: nothing a person reads; the sentence names the object."""
    if isinstance(value, list):
        return bool(value) and all(_is_id(item) for item in value)
    if not isinstance(value, str) or len(value) != 36:
        return value is None
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_records(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _change_table(label, old: list[dict], new: list[dict]) -> ChangeTable:
    names = _in_label_order(dict.fromkeys(name for record in [*new, *old] for name in record))
    removed = [record for record in old if record not in new]
    added = [record for record in new if record not in old]

    rows = [(gettext("Added"), record) for record in added] + [(gettext("Removed"), record) for record in removed]
    texts = [(status, [_value_text(name, record.get(name)) for name in names]) for status, record in rows]
    wraps = [any(len(cells[column]) > LONG_CELL for _status, cells in texts) for column in range(len(names))]
    columns = [FIELD_LABELS.get(name) or capfirst(name.replace("_", " ")) for name in names]
    return ChangeTable(
        label=label,
        columns=columns,
        rows=[(status, list(zip(columns, cells, wraps, strict=True))) for status, cells in texts],
        unchanged=len(new) - len(added),
    )
