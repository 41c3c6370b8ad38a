"""Credit notes (eu-invoicing.md "Issued documents are final; corrections by credit note"):
drafts created from an issued invoice, edited and deleted while drafts, issued with their own
gapless number; and the shortcuts cancel (a credit note for everything left) and correct
(cancel, plus a new linked draft copying the invoice).

What is left to credit is kept per (VAT category, rate) row of the invoice: the row's taxable
amount and tax less those of the issued credit notes (``selectors.invoice_left_to_credit``).
A credit note credits no more than is left of any row, and a row that credits exactly the
taxable amount left takes exactly the tax left ("the rest of a row", ``billing.calc``). So the
credit note for everything left (``full``, cancel, correct) credits, per row, the invoice's
taxable amount and tax less what was credited: its total is ``total - credited_total`` to the
minor unit, whatever the rounding of the earlier credit notes, and the invoice ends credited."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import record
from billing import hooks
from billing.calc import RowAmounts, quantize_money
from billing.exceptions import StateConflict
from billing.language import document_language
from billing.models import (
    Business,
    CreditNote,
    CreditNoteItem,
    CreditNoteStatus,
    Customer,
    DiscountType,
    Invoice,
    InvoiceStatus,
    NumberSequenceKind,
)
from billing.numbering import lock_sequences, next_number
from billing.selectors import invoice_left_to_credit
from billing.services.invoices import (
    breakdown_rows,
    compute_document,
    create_draft,
    item_inputs,
    item_values,
    parse_discount,
    parse_items_into,
)
from billing.services.payments import invoice_money_values, money_changes, refresh_balance
from billing.services.shared import (
    actor_api_key,
    actor_user,
    created,
    find_reference,
    find_target,
    line_rows,
    money_text,
    plain,
)
from billing.validation import (
    CREDIT_NOTE_FIELDS,
    CREDIT_NOTE_REASON,
    MAX_ITEMS,
    FieldErrors,
    ItemInput,
    check_credit_lines,
    check_credit_rows,
    check_credit_within,
    parse_bool,
    parse_choice,
    parse_date,
    refuse_unknown_fields,
)
from organizations.tenancy import organization_scope

# Messages are translated when raised, as in billing/validation.py (the request's language).
DRAFT_ONLY_MESSAGE = gettext_lazy("An issued credit note is final: it cannot be changed or deleted.")


# --- lines and totals -----------------------------------------------------------------------


def _check_creditable(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        raise StateConflict(_("A draft invoice has nothing to credit: edit or delete it instead."))
    if invoice.status == InvoiceStatus.VOID:
        raise StateConflict(_("A void invoice cannot be credited."))
    if invoice.status == InvoiceStatus.CREDITED or invoice.credited_total >= invoice.total:
        raise StateConflict(_("This invoice is already credited in full."))


def _left_to_credit(invoice: Invoice) -> Decimal:
    return quantize_money(invoice.total - invoice.credited_total, invoice.currency)


def _allowed_lines(invoice: Invoice) -> set[tuple[str, Decimal]]:
    """The (VAT category, rate) pairs the invoice used."""
    return {(item.vat_category, item.tax_rate.normalize()) for item in item_inputs(invoice)}


def _remaining_lines(note: CreditNote, invoice: Invoice) -> tuple[list[ItemInput], str, Decimal]:
    """The lines (and discount) of a credit note for everything not yet credited: the invoice's
    own lines and discount when nothing was credited, else one line per (VAT category, rate)
    for the taxable amount left of that row, named in the credit note's language. Calc gives
    each such line's row the tax left of the row (the rest of a row), so the note's total is
    exactly ``total - credited_total``."""
    if invoice.credited_total == 0:
        return item_inputs(invoice), invoice.discount_type, invoice.discount_value
    with translation.override(document_language(note)):
        description = _("Remaining amount of invoice %(number)s") % {"number": invoice.number}
    lines = [
        ItemInput(description, Decimal(1), rest.taxable_amount, rest.rate, rest.category)
        for rest in _left(invoice)
        if rest.taxable_amount > 0 or rest.tax_amount > 0
    ]
    return lines, DiscountType.NONE, Decimal(0)


def _left(invoice: Invoice) -> tuple[RowAmounts, ...]:
    return invoice_left_to_credit(organization=invoice.organization_id, invoice=invoice)


def _compute(note: CreditNote, items: list[ItemInput], invoice: Invoice, errors: FieldErrors):
    """Totals by calc (with what is left of each row of the invoice); the lines' categories,
    the total and each row checked against what is left of the invoice."""
    check_credit_lines(items, allowed=_allowed_lines(invoice), errors=errors)
    if not items and "items" not in errors:
        errors.add("items", _("A credit note needs at least one line."))
    errors.raise_if_any()
    left = _left(invoice)
    totals = compute_document(note, items, left=left)
    check_credit_within(totals.total, left=_left_to_credit(invoice), currency=invoice.currency, errors=errors)
    errors.raise_if_any()
    check_credit_rows(totals.tax_breakdown, left=left, currency=invoice.currency, errors=errors)
    errors.raise_if_any()
    return totals


def _apply_totals(note: CreditNote, totals) -> None:
    note.subtotal = totals.subtotal
    note.discount_total = totals.discount_total
    note.tax_total = totals.tax_total
    note.total = totals.total
    note.tax_breakdown = breakdown_rows(totals, note.vat_exemption_reasons)


def _write_items(note: CreditNote, items: list[ItemInput], totals) -> None:
    CreditNoteItem.objects.filter(organization=note.organization_id, credit_note=note).delete()
    rows = line_rows(CreditNoteItem, items, totals, organization_id=note.organization_id, credit_note=note)
    CreditNoteItem.objects.bulk_create(rows, batch_size=MAX_ITEMS)


def credit_note_items(note: CreditNote) -> list[ItemInput]:
    rows = CreditNoteItem.objects.filter(organization=note.organization_id, credit_note=note).order_by("position")
    return [ItemInput(row.description, row.quantity, row.unit_price, row.tax_rate, row.vat_category) for row in rows]


def _audit_values(note: CreditNote, items: list[ItemInput]) -> dict:
    return {
        "invoice": str(note.invoice_id),
        "reason": note.reason,
        "issue_date": note.issue_date.isoformat(),
        "discount_type": note.discount_type,
        "discount_value": plain(note.discount_value),
        "items": item_values(items),
        "total": money_text(note.total, note.currency),
    }


# --- create, update, delete -----------------------------------------------------------------


def _apply_fields(note: CreditNote, invoice: Invoice, data: dict, errors: FieldErrors) -> list[ItemInput] | None:
    """Reason, date, discount and lines from ``data``; the lines (None: unchanged)."""
    if "reason" in data:
        note.reason = errors.parse("reason", CREDIT_NOTE_REASON, data["reason"])
    if data.get("issue_date") not in (None, ""):
        note.issue_date = errors.parse("issue_date", parse_date, data["issue_date"])
    if "discount_type" in data:
        note.discount_type = errors.parse("discount_type", parse_choice, data["discount_type"] or "none", DiscountType)
    if ("discount_value" in data or "discount_type" in data) and note.discount_type:
        raw = data.get("discount_value", note.discount_value)
        note.discount_value = parse_discount(errors, note.discount_type, raw, note.currency)
    full = errors.parse("full", parse_bool, data.get("full", False))
    if full:
        items, note.discount_type, note.discount_value = _remaining_lines(note, invoice)
        return items
    if "items" in data:
        return parse_items_into(errors, data["items"] if data["items"] is not None else [], invoice.business)
    return None


def _new_credit_note(
    organization, actor, data: dict, errors: FieldErrors
) -> tuple[CreditNote, list[ItemInput], Invoice]:
    """The unsaved credit note ``data`` describes; field errors go to ``errors`` (raised with the
    lines' own by ``_compute``)."""
    refuse_unknown_fields(data, CREDIT_NOTE_FIELDS)
    invoice = find_reference(Invoice, organization, data.get("invoice"), "invoice", errors, for_update=True)
    errors.raise_if_any()
    _check_creditable(invoice)
    note = CreditNote(
        organization=organization,
        business_id=invoice.business_id,
        invoice=invoice,
        currency=invoice.currency,
        issue_date=organization.local_today(),
        vat_exemption_reasons=invoice.vat_exemption_reasons,
        created_by_user=actor_user(actor),
        created_by_api_key=actor_api_key(actor),
    )
    items = _apply_fields(note, invoice, data, errors)
    if items is None:
        errors.add("items", _('Send the lines to credit, or "full": true for everything left.'))
    return note, items or [], invoice


def credit_note_create(*, organization, actor, data: dict) -> CreditNote:
    """A draft credit note for an issued invoice: ``items`` (each in a VAT category and rate
    the invoice used) or ``full`` (everything not yet credited); its total may not exceed what
    is left to credit. The currency is the invoice's."""
    with organization_scope(organization), transaction.atomic():
        return _create(organization, actor, data)


def _create(organization, actor, data: dict, *, extra_changes=None) -> CreditNote:
    errors = FieldErrors()
    note, items, invoice = _new_credit_note(organization, actor, data, errors)
    totals = _compute(note, items, invoice, errors)
    _apply_totals(note, totals)
    note.save(force_insert=True)
    _write_items(note, items, totals)
    record(
        organization=organization,
        actor=actor,
        action="credit_note.created",
        target=note,
        changes={**created(_audit_values(note, items)), **(extra_changes or {})},
    )
    return note


def _find_draft(organization, credit_note_id) -> CreditNote:
    note = find_target(CreditNote, organization, credit_note_id, for_update=True, label="credit note")
    if not note.is_draft:
        raise StateConflict(str(DRAFT_ONLY_MESSAGE))
    return note


def credit_note_update(*, organization, actor, credit_note_id, data: dict) -> CreditNote:
    """Edit a draft credit note (its invoice stays); ``items`` replaces the whole list."""
    with organization_scope(organization), transaction.atomic():
        note = _find_draft(organization, credit_note_id)
        refuse_unknown_fields(data, tuple(field for field in CREDIT_NOTE_FIELDS if field != "invoice"))
        invoice = find_target(Invoice, organization, note.invoice_id, label="invoice")
        note.invoice = invoice
        old_items = credit_note_items(note)
        before = _audit_values(note, old_items)
        errors = FieldErrors()
        items = _apply_fields(note, invoice, data, errors)
        items = old_items if items is None else items
        totals = _compute(note, items, invoice, errors)
        _apply_totals(note, totals)
        note.version += 1
        note.save()
        _write_items(note, items, totals)
        after = _audit_values(note, items)
        changes = {field: [before[field], value] for field, value in after.items() if before[field] != value}
        record(organization=organization, actor=actor, action="credit_note.updated", target=note, changes=changes)
    return note


def credit_note_delete(*, organization, actor, credit_note_id) -> None:
    """Only drafts are deleted: they have no number, so no number is lost."""
    with organization_scope(organization), transaction.atomic():
        note = _find_draft(organization, credit_note_id)
        changes = {field: [value, None] for field, value in _audit_values(note, credit_note_items(note)).items()}
        target = {"target_type": "creditnote", "target_id": str(note.pk), "target_label": str(note)}
        CreditNoteItem.objects.filter(organization=organization, credit_note=note).delete()
        note.delete()
        record(organization=organization, actor=actor, action="credit_note.deleted", changes=changes, **target)


# --- issue ----------------------------------------------------------------------------------


def credit_note_issue(*, organization, actor, credit_note_id) -> CreditNote:
    """Issue a draft: the invoice row is locked first (as payments and refunds do), so credit
    notes of one invoice queue and each sees what the previous ones left; the total may not
    exceed ``total - credited_total``. The number comes from the business's locked credit note
    sequence; both parties and the invoice's number and date are copied, never to change."""
    with organization_scope(organization), transaction.atomic():
        found = find_target(CreditNote, organization, credit_note_id, label="credit note")
        invoice = find_target(Invoice, organization, found.invoice_id, for_update=True, label="invoice")
        note = _find_draft(organization, found.pk)
        note.invoice = invoice
        return _issue(organization, actor, note, invoice)


def _issue(organization, actor, note: CreditNote, invoice: Invoice, *, action_changes=None) -> CreditNote:
    """Issue ``note``; the caller holds the invoice's lock."""
    _check_creditable(invoice)
    totals = _compute(note, credit_note_items(note), invoice, FieldErrors())
    if totals.total <= 0:
        raise StateConflict(_("A credit note with a total of zero cannot be issued."))
    business = Business.objects.get(organization=organization, pk=invoice.business_id)
    customer = Customer.objects.get(organization=organization, pk=invoice.customer_id)
    money_before = invoice_money_values(invoice)
    note.number = next_number(business, on_date=note.issue_date, kind=NumberSequenceKind.CREDIT_NOTE)
    if CreditNote.objects.filter(organization=organization, business=business, number=note.number).exists():
        raise StateConflict(
            _("The number %(number)s is already used by this business; change its credit note numbering first.")
            % {"number": note.number}
        )
    _apply_totals(note, totals)
    note.status = CreditNoteStatus.ISSUED
    note.issued_at = timezone.now()
    note.invoice_number, note.invoice_issue_date = invoice.number, invoice.issue_date
    note.business_snapshot, note.customer_snapshot = business.snapshot(), customer.snapshot()
    note.version += 1
    note.save()
    invoice.credited_total = quantize_money(invoice.credited_total + note.total, invoice.currency)
    refresh_balance(invoice)
    record(
        organization=organization,
        actor=actor,
        action="credit_note.issued",
        target=note,
        changes={
            "status": [CreditNoteStatus.DRAFT, CreditNoteStatus.ISSUED],
            "number": [None, note.number],
            "total": [None, money_text(note.total, note.currency)],
            "invoice_number": [None, invoice.number],
            **money_changes(money_before, invoice),
        },
    )
    if action_changes is not None:
        action_changes.update(money_changes(money_before, invoice))
    hooks.schedule_document_refresh(invoice)
    return note


def credit_note_mark_sent(*, organization, actor, credit_note_id, sent_at=None) -> CreditNote:
    """Record that an issued credit note went out (the email job calls this); not printed."""
    with organization_scope(organization), transaction.atomic():
        note = find_target(CreditNote, organization, credit_note_id, for_update=True, label="credit note")
        if note.is_draft:
            raise StateConflict(_("A draft credit note cannot be sent; issue it first."))
        old = note.sent_at
        note.sent_at = sent_at or timezone.now()
        note.save(update_fields=["sent_at", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="credit_note.sent",
            target=note,
            changes={"sent_at": [old.isoformat() if old else None, note.sent_at.isoformat()]},
        )
    return note


# --- cancel and correct ---------------------------------------------------------------------


def _cancel(organization, actor, invoice_id, reason) -> tuple[CreditNote, Invoice, dict]:
    invoice = find_target(Invoice, organization, invoice_id, for_update=True, label="invoice")
    _check_creditable(invoice)
    errors = FieldErrors()
    reason = errors.parse("reason", CREDIT_NOTE_REASON, reason)
    errors.raise_if_any()
    # The credit note sequence before the audit chain (the created entry comes first), as
    # every service takes its rows before the chain.
    business = Business.objects.get(organization=organization, pk=invoice.business_id)
    lock_sequences(business, on_dates=[organization.local_today()], kind=NumberSequenceKind.CREDIT_NOTE)
    note = _create(organization, actor, {"invoice": invoice.pk, "reason": reason, "full": True})
    note.invoice = invoice
    changes: dict = {"credit_note": [None, str(note.pk)]}
    _issue(organization, actor, note, invoice, action_changes=changes)
    return note, invoice, changes


def invoice_cancel(*, organization, actor, invoice_id, reason: str = "") -> CreditNote:
    """Cancel an issued invoice in one step: a credit note for everything not yet credited,
    issued at once. Replaces voiding, which issued invoices no longer allow."""
    with organization_scope(organization), transaction.atomic():
        note, invoice, changes = _cancel(organization, actor, invoice_id, reason)
        record(organization=organization, actor=actor, action="invoice.cancelled", target=invoice, changes=changes)
    return note


def invoice_correct(*, organization, actor, invoice_id, reason: str = "") -> tuple[CreditNote, Invoice]:
    """Cancel an issued invoice and create a new draft copying it (parties, currency, discount,
    notes, terms, lines), linked by ``replaces``, for the user to fix and issue."""
    with organization_scope(organization), transaction.atomic():
        note, invoice, changes = _cancel(organization, actor, invoice_id, reason)
        data = {
            "business": invoice.business_id,
            "customer": invoice.customer_id,
            "currency": invoice.currency,
            "discount_type": invoice.discount_type,
            "discount_value": plain(invoice.discount_value),
            "notes": invoice.notes,
            "terms": invoice.terms,
            "vat_exemption_reasons": invoice.vat_exemption_reasons,
            "items": item_values(item_inputs(invoice)),
        }
        draft = create_draft(organization, actor, data, extra_changes={"replaces": [None, str(invoice)]})
        draft.replaces = invoice
        draft.save(update_fields=["replaces", "updated_at"])
        changes["replaced_by"] = [None, str(draft.pk)]
        record(organization=organization, actor=actor, action="invoice.corrected", target=invoice, changes=changes)
    return note, draft
