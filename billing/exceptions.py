"""The errors billing services raise; the API and the web views translate them.

* ``BillingValidationError``: bad input, each message tied to a field path (API: 400).
* ``StateConflict``: the action is not allowed in the object's current state (API: 409).
* ``NotFound``: the target id does not exist in the organization (API and web: 404). An id
  from another organization raises exactly the same error as a missing one.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext_noop

# Issued invoices are final (eu-invoicing.md): every path that would change one says so.
FINAL_MESSAGE = gettext_noop(
    "An issued invoice is final and cannot be edited: correct it with a credit note "
    "(cancel it, or correct it to get a new draft)."
)


class BillingValidationError(Exception):
    """Bad input. ``messages`` maps field paths to their messages: ``"amount"``, ``"items"`` (the
    list as a whole), ``"items.3.quantity"`` (the fourth item's quantity), ``"non_field_errors"``.
    ``sizes`` keeps how many entries a submitted list had (``{"items": 5}``).

    It is built from such a dict of paths, or from a dict in DRF's nested shape
    (``{"items": [{}, {"quantity": ["..."]}]}``); ``billing_errors`` gives that shape back."""

    def __init__(self, errors: dict, *, sizes: dict[str, int] | None = None):
        self.messages: dict[str, list[str]] = {}
        self.sizes: dict[str, int] = dict(sizes or {})
        _flatten(errors, "", self.messages, self.sizes)
        super().__init__(self.messages)

    @property
    def billing_errors(self) -> dict:
        """DRF's shape, as api.md gives it: one entry per submitted item, ``{}`` for valid ones.
        The API's exception handler looks for this name (it does not import the apps)."""
        return _nested(self.messages, self.sizes, "")

    errors = billing_errors


def _flatten(value, path: str, messages: dict, sizes: dict) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), messages, sizes)
    elif isinstance(value, list | tuple) and any(isinstance(entry, dict) for entry in value):
        sizes[path] = max(sizes.get(path, 0), len(value))
        for index, entry in enumerate(value):
            _flatten(entry, f"{path}.{index}", messages, sizes)
    elif isinstance(value, list | tuple):
        messages.setdefault(path, []).extend(str(message) for message in value)
    else:
        messages.setdefault(path, []).append(str(value))


def _nested(messages: dict, sizes: dict, base: str) -> dict:
    """Paths back to DRF's shape. A field with messages of its own shows only those (DRF's
    shape cannot hold both a list's messages and its entries' errors)."""
    groups: dict[str, dict[str, list[str]]] = {}
    for path, texts in messages.items():
        head, _, rest = path.partition(".")
        groups.setdefault(head, {})[rest] = texts
    shaped = {}
    for head, children in groups.items():
        if "" in children:
            shaped[head] = list(children[""])
        elif all(rest.partition(".")[0].isdigit() for rest in children):
            shaped[head] = _entries(children, sizes, base + head)
        else:
            shaped[head] = _nested(children, sizes, f"{base}{head}.")
    return shaped


def _entries(children: dict, sizes: dict, path: str) -> list[dict]:
    by_index: dict[int, dict[str, list[str]]] = {}
    for rest, texts in children.items():
        index, _, tail = rest.partition(".")
        by_index.setdefault(int(index), {})[tail or "non_field_errors"] = texts
    length = max(sizes.get(path, 0), max(by_index) + 1)
    return [_nested(by_index.get(index, {}), sizes, f"{path}.{index}.") for index in range(length)]


class StateConflict(Exception):  # noqa: N818 (name agreed in the billing interface)
    """The action is not allowed in the object's current state (API -> 409 {"detail": message})."""

    def __init__(self, message):
        super().__init__(message)
        self.conflict_message = message  # billora/api/exceptions.py reads this attribute


class NotFound(Http404, ObjectDoesNotExist):
    """The target of a service call is not in the organization.

    A subclass of ``Http404`` so Django views and DRF both answer 404 without extra mapping,
    and of ``ObjectDoesNotExist`` so callers may catch it like ``Model.DoesNotExist``."""
