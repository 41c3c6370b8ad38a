"""What every billing service uses: looking ids up in the organization, and the actor's and
the audit entry's values."""

from decimal import Decimal

from django.utils.translation import gettext_lazy

from billing.calc import quantize_money
from billing.exceptions import NotFound
from billing.validation import REQUIRED_MESSAGE, FieldErrors, object_pk
from organizations.models import ApiKey

# The same words for a missing id and another organization's id, and without the id itself, so
# the answer never tells which ids exist elsewhere.
NOT_FOUND_MESSAGE = gettext_lazy("Object does not exist.")


def find_target(model, organization, target_id, *, label: str, for_update: bool = False):
    """The object a service acts on (an id from the URL); missing or another organization's
    -> NotFound (404)."""
    obj = _find(model, organization, object_pk(target_id), for_update=for_update)
    if obj is None:
        raise NotFound(f"No such {label}.")
    return obj


def find_reference(model, organization, value, field: str, errors: FieldErrors, *, for_update: bool = False):
    """An id given in the body, read once; missing or another organization's -> the same
    error on ``field`` (400), and None."""
    if value is None or value == "":
        errors.add(field, REQUIRED_MESSAGE)
        return None
    pk = object_pk(value)
    obj = _find(model, organization, pk, for_update=for_update)
    if obj is None:
        errors.add(field, NOT_FOUND_MESSAGE)
    return obj


def _find(model, organization, pk, *, for_update: bool):
    if pk is None:
        return None
    queryset = model.objects.filter(organization=organization, pk=pk)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    obj = queryset.first()
    if obj is not None:
        obj.organization = organization  # the caller's instance: no query to read it back
    return obj


def actor_user(actor):
    return None if actor is None or isinstance(actor, ApiKey) else actor


def actor_api_key(actor):
    return actor if isinstance(actor, ApiKey) else None


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, ApiKey):
        return actor.label
    return actor.email


def money_text(value, currency) -> str | None:
    """Money for audit entries: a string with exactly the currency's places."""
    if value is None:
        return None
    return str(quantize_money(Decimal(value), currency))


def plain(value) -> str:
    """A decimal as a person would write it: ``12.5000`` -> ``12.5``."""
    return format(Decimal(value).normalize(), "f")


def changed(before: dict, after: dict) -> dict:
    """Audit changes: the fields whose value differs, as [old, new]."""
    return {field: [before.get(field), after[field]] for field in after if before.get(field) != after[field]}


def created(values: dict) -> dict:
    """Audit changes of a new object: its non-empty fields as [None, value]."""
    return {field: [None, value] for field, value in values.items() if value not in ("", None)}


def line_rows(model, items, totals, **document) -> list:
    """Unsaved rows of a document's lines (invoice or credit note items) in their order, each
    with the amounts the calc module gave it; ``document`` names the rows' owner."""
    return [
        model(
            **document,
            position=position,
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            tax_rate=item.tax_rate,
            vat_category=item.vat_category,
            line_net=amounts.line_net,
            line_discount=amounts.line_discount,
        )
        for position, (item, amounts) in enumerate(zip(items, totals.lines, strict=True), start=1)
    ]
