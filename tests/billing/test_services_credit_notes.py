"""Credit notes, cancel, correct and refunds (eu-invoicing.md "Issued documents are final;
corrections by credit note"): the services, their rules, numbers and audit entries."""

from decimal import Decimal

import pytest

from billing import services
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import CreditNote, CreditNoteItem, Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, assert_stored_totals, make_invoice

ITEM = {"description": "Work", "quantity": "2", "unit_price": "50.00", "tax_rate": "20"}  # 100 + 20 VAT
HOSTING = {"description": "Hosting", "quantity": "1", "unit_price": "30.00", "tax_rate": "0"}  # 30, Z


@pytest.fixture
def invoice(org, business, customer):
    """Issued, 150.00 in total: 120.00 at 20 % (S) and 30.00 at 0 % (Z)."""
    return make_invoice(organization=org, business=business, customer=customer, items=[ITEM, HOSTING], status="issued")


def reload(org, obj):
    with organization_scope(org):
        return type(obj).objects.get(pk=obj.pk)


def credit(org, actor, invoice, items=None, **data):
    payload = {"invoice": invoice.pk, "reason": "Wrong quantity", **data}
    if items is not None:
        payload["items"] = items
    return services.credit_note_create(organization=org, actor=actor, data=payload)


def issue(org, actor, note):
    return services.credit_note_issue(organization=org, actor=actor, credit_note_id=note.pk)


def pay(org, actor, invoice, amount, kind="payment"):
    return services.payment_record(
        organization=org, actor=actor, invoice_id=invoice.pk, amount=amount, date=org.local_today(), kind=kind
    )


def messages_of(call, *args, **kwargs):
    with pytest.raises(BillingValidationError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.messages


# --- create, edit, delete -------------------------------------------------------------------


def test_a_partial_credit_note_is_a_draft_with_the_invoices_currency_and_calc_totals(org, user, invoice):
    note = credit(org, user, invoice, [{**ITEM, "quantity": "1"}])
    assert (note.status, note.number, note.currency) == ("draft", None, invoice.currency)
    assert (note.subtotal, note.tax_total, note.total) == (Decimal("50.00"), Decimal("10.00"), Decimal("60.00"))
    assert note.tax_breakdown[0]["category"] == "S"
    assert reload(org, invoice).credited_total == 0  # nothing is credited until the note is issued


def test_full_credits_everything_left_with_the_invoices_own_lines(org, user, invoice):
    note = credit(org, user, invoice, full=True)
    assert note.total == invoice.total
    with organization_scope(org):
        assert list(CreditNoteItem.objects.filter(credit_note=note).values_list("description", flat=True)) == [
            "Work",
            "Hosting",
        ]


def test_full_after_a_partial_credit_takes_what_is_left_per_category_and_rate(org, user, invoice):
    issue(org, user, credit(org, user, invoice, [{**ITEM, "quantity": "1"}]))  # 60.00
    note = credit(org, user, invoice, full=True)
    assert note.total == Decimal("90.00")
    issue(org, user, note)
    after = reload(org, invoice)
    assert (after.credited_total, after.status, after.balance_due) == (Decimal("150.00"), "credited", Decimal(0))


def test_a_credit_above_what_is_left_is_refused_on_items(org, user, invoice):
    issue(org, user, credit(org, user, invoice, [ITEM]))  # 120.00 of 150.00
    messages = messages_of(credit, org, user, invoice, [{**HOSTING, "unit_price": "30.01"}])
    assert messages == {"items": ["The credit note's total may not exceed what is left to credit (30.00 EUR)."]}
    credit(org, user, invoice, [HOSTING])  # exactly what is left


def test_a_credit_note_needs_lines_and_an_issued_invoice(org, user, business, customer, invoice):
    assert "items" in messages_of(credit, org, user, invoice)
    assert "items" in messages_of(credit, org, user, invoice, [])
    draft = make_invoice(organization=org, business=business, customer=customer)
    with pytest.raises(StateConflict, match="draft"):
        credit(org, user, draft, [ITEM])
    assert messages_of(services.credit_note_create, organization=org, actor=user, data={"oops": 1}) == {
        "oops": ["Unknown field."]
    }


def test_another_organizations_invoice_or_credit_note_looks_missing(org, other_org, user, invoice):
    outsider_invoice = make_invoice(organization=other_org, status="issued")
    assert messages_of(credit, org, user, outsider_invoice, [ITEM]) == {"invoice": ["Object does not exist."]}
    note = credit(org, user, invoice, [ITEM])
    with pytest.raises(NotFound):
        services.credit_note_issue(organization=other_org, actor=None, credit_note_id=note.pk)
    with pytest.raises(NotFound):
        services.credit_note_delete(organization=other_org, actor=None, credit_note_id=note.pk)


def test_drafts_are_edited_and_deleted_issued_ones_never(org, user, invoice, audit_entries):
    note = credit(org, user, invoice, [ITEM])
    edited = services.credit_note_update(
        organization=org, actor=user, credit_note_id=note.pk, data={"reason": "Goodwill", "items": [HOSTING]}
    )
    assert (edited.reason, edited.total, edited.version) == ("Goodwill", Decimal("30.00"), 2)
    assert audit_entries(action="credit_note.updated")[0].changes["reason"] == ["Wrong quantity", "Goodwill"]
    issue(org, user, edited)
    with pytest.raises(StateConflict, match="final"):
        services.credit_note_update(organization=org, actor=user, credit_note_id=note.pk, data={"reason": "x"})
    with pytest.raises(StateConflict, match="final"):
        services.credit_note_delete(organization=org, actor=user, credit_note_id=note.pk)
    spare = credit(org, user, invoice, [ITEM])
    services.credit_note_delete(organization=org, actor=user, credit_note_id=spare.pk)
    with organization_scope(org):
        assert list(CreditNote.objects.values_list("pk", flat=True)) == [note.pk]
        assert not CreditNoteItem.objects.filter(credit_note_id=spare.pk).exists()


# --- issue and numbering --------------------------------------------------------------------


def test_issue_numbers_from_its_own_sequence_snapshots_and_references_the_invoice(
    org, user, business, customer, invoice, audit_entries
):
    first = issue(org, user, credit(org, user, invoice, [{**ITEM, "quantity": "1"}]))
    second = issue(org, user, credit(org, user, invoice, [HOSTING]))
    year = org.local_today().year
    assert (first.number, second.number) == (f"CN-{year}-0001", f"CN-{year}-0002")
    assert (first.invoice_number, first.invoice_issue_date) == (invoice.number, invoice.issue_date)
    assert first.business_snapshot["name"] == business.name
    assert first.customer_snapshot["name"] == customer.name
    # The invoice sequence goes on where it was.
    next_invoice = make_invoice(organization=org, business=business, customer=customer, status="issued")
    assert next_invoice.number == f"INV-{year}-0002"
    entry = audit_entries(action="credit_note.issued")[0]
    assert entry.changes["number"] == [None, f"CN-{year}-0001"]
    assert entry.changes["invoice_credited_total"] == ["0.00", "60.00"]
    assert entry.changes["invoice_balance_due"] == ["150.00", "90.00"]


def test_later_changes_to_the_parties_never_touch_an_issued_credit_note(org, user, business, customer, invoice):
    note = issue(org, user, credit(org, user, invoice, [HOSTING]))
    with organization_scope(org):
        printed = CreditNote.objects.values().get(pk=note.pk)
        lines = list(CreditNoteItem.objects.filter(credit_note=note).values())
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"name": "Renamed Ltd"})
    services.business_update(organization=org, actor=user, business_id=business.pk, data={"name": "Renamed GmbH"})
    with organization_scope(org):
        assert CreditNote.objects.values().get(pk=note.pk) == printed
        assert list(CreditNoteItem.objects.filter(credit_note=note).values()) == lines
    assert printed["customer_snapshot"]["name"] == customer.name != "Renamed Ltd"


def test_credit_note_numbering_has_its_own_format_width_and_reset(org, user, customer):
    business = BusinessFactory(
        organization=org,
        credit_note_number_format="AV{YY}/{SEQ}",
        credit_note_number_width=2,
        credit_note_number_yearly_reset=False,
    )
    invoice = make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
    note = issue(org, user, credit(org, user, invoice, [ITEM], issue_date="2026-03-01"))
    assert note.number == "AV26/01"


def test_issue_rechecks_what_is_left_under_the_invoice_lock(org, user, invoice):
    first = credit(org, user, invoice, [ITEM])
    second = credit(org, user, invoice, [ITEM])  # each fits alone, not both
    issue(org, user, first)
    assert "items" in messages_of(issue, org, user, second)
    assert reload(org, second).status == "draft"
    assert reload(org, invoice).credited_total == Decimal("120.00")


def test_a_fully_credited_invoice_takes_no_more_credit_notes_or_payments(org, user, invoice):
    issue(org, user, credit(org, user, invoice, full=True))
    with pytest.raises(StateConflict, match="credited in full"):
        credit(org, user, invoice, [HOSTING])
    with pytest.raises(StateConflict, match="fully credited"):
        pay(org, user, invoice, "1.00")


# --- money: balance, status, refunds --------------------------------------------------------


def test_credit_after_full_payment_leaves_a_refund_due_that_a_refund_settles(org, user, invoice, audit_entries):
    pay(org, user, invoice, "150.00")
    issue(org, user, credit(org, user, invoice, [HOSTING]))
    after = reload(org, invoice)
    assert (after.status, after.balance_due) == ("paid", Decimal("-30.00"))
    assert messages_of(pay, org, user, invoice, "30.01", kind="refund") == {
        "amount": ["The amount may not exceed what the customer is owed (30.00 EUR)."]
    }
    with pytest.raises(StateConflict, match="already paid"):
        pay(org, user, invoice, "1.00")
    refund = pay(org, user, invoice, "30.00", kind="refund")
    assert refund.kind == "refund"
    after = reload(org, invoice)
    assert (after.amount_paid, after.amount_refunded, after.balance_due) == (
        Decimal("150.00"),
        Decimal("30.00"),
        Decimal(0),
    )
    assert_stored_totals(after)
    entry = audit_entries(action="refund.recorded")[0]
    assert entry.changes["invoice_amount_refunded"] == ["0.00", "30.00"]
    assert entry.changes["invoice_balance_due"] == ["-30.00", "0.00"]
    with pytest.raises(StateConflict, match="no refund"):
        pay(org, user, invoice, "1.00", kind="refund")


def test_voiding_a_refund_brings_the_refund_due_back(org, user, invoice):
    pay(org, user, invoice, "150.00")
    issue(org, user, credit(org, user, invoice, full=True))
    refund = pay(org, user, invoice, "150.00", kind="refund")
    assert reload(org, invoice).balance_due == 0
    services.payment_void(organization=org, actor=user, payment_id=refund.pk, reason="Bounced")
    after = reload(org, invoice)
    assert (after.status, after.balance_due, after.amount_refunded) == ("credited", Decimal("-150.00"), 0)
    assert_stored_totals(after)


@pytest.mark.parametrize(
    ("credited", "paid", "refunded", "status", "balance"),
    [
        # Nothing credited: the invoice's own statuses (no refund can be due).
        (None, None, None, "issued", "150.00"),
        (None, "50.00", None, "partially_paid", "100.00"),
        (None, "150.00", None, "paid", "0.00"),
        # Part credited: paid nothing, part, exactly the rest, more than the rest (refund due), refunded.
        ("HOSTING", None, None, "issued", "120.00"),
        ("HOSTING", "50.00", None, "partially_paid", "70.00"),
        ("HOSTING", "120.00", None, "paid", "0.00"),
        ("HOSTING", "150.00", None, "paid", "-30.00"),
        ("HOSTING", "150.00", "10.00", "paid", "-20.00"),
        ("HOSTING", "150.00", "30.00", "paid", "0.00"),
        ("ITEM", "30.00", None, "paid", "0.00"),
        ("ITEM", "150.00", None, "paid", "-120.00"),
        ("ITEM", "150.00", "50.00", "paid", "-70.00"),
        ("ITEM", "150.00", "120.00", "paid", "0.00"),
        # All credited: credited whatever was paid; what was paid is owed back until refunded.
        ("FULL", None, None, "credited", "0.00"),
        ("FULL", "50.00", None, "credited", "-50.00"),
        ("FULL", "50.00", "50.00", "credited", "0.00"),
        ("FULL", "150.00", None, "credited", "-150.00"),
        ("FULL", "150.00", "100.00", "credited", "-50.00"),
        ("FULL", "150.00", "150.00", "credited", "0.00"),
    ],
)
def test_the_status_table_of_the_design(org, user, invoice, credited, paid, refunded, status, balance):
    if paid:
        pay(org, user, invoice, paid)
    if credited:
        lines = {"HOSTING": {"items": [HOSTING]}, "ITEM": {"items": [ITEM]}, "FULL": {"full": True}}[credited]
        issue(org, user, credit(org, user, invoice, **lines))
    if refunded:
        pay(org, user, invoice, refunded, kind="refund")
    after = reload(org, invoice)
    assert (after.status, after.balance_due) == (status, Decimal(balance))
    assert_stored_totals(after)


# --- cancel and correct ---------------------------------------------------------------------


def test_cancel_issues_a_credit_note_for_everything_left_in_one_step(org, user, invoice, audit_entries):
    issue(org, user, credit(org, user, invoice, [HOSTING]))
    note = services.invoice_cancel(organization=org, actor=user, invoice_id=invoice.pk, reason="Ordered twice")
    assert (note.status, note.total, note.reason) == ("issued", Decimal("120.00"), "Ordered twice")
    after = reload(org, invoice)
    assert (after.status, after.credited_total, after.number) == ("credited", after.total, invoice.number)
    entry = audit_entries(action="invoice.cancelled")[0]
    assert entry.target_id == str(invoice.pk)
    assert entry.changes["credit_note"] == [None, str(note.pk)]
    assert entry.changes["invoice_status"] == ["issued", "credited"]
    with pytest.raises(StateConflict, match="credited in full"):
        services.invoice_cancel(organization=org, actor=user, invoice_id=invoice.pk)


def test_correct_cancels_and_opens_a_linked_draft_copying_the_invoice(org, user, invoice, audit_entries):
    note, draft = services.invoice_correct(organization=org, actor=user, invoice_id=invoice.pk, reason="Typo")
    assert note.total == invoice.total
    assert (draft.status, draft.replaces_id, draft.total, draft.customer_id) == (
        "draft",
        invoice.pk,
        invoice.total,
        invoice.customer_id,
    )
    with organization_scope(org):
        assert Invoice.objects.get(pk=invoice.pk).replaced_by == draft
        assert [item.description for item in draft.items.all()] == ["Work", "Hosting"]
    assert reload(org, invoice).status == "credited"
    entry = audit_entries(action="invoice.corrected")[0]
    assert entry.changes["replaced_by"] == [None, str(draft.pk)]
    # The draft is an ordinary draft: edited, then issued with the next invoice number.
    services.invoice_update(organization=org, actor=user, invoice_id=draft.pk, data={"items": [HOSTING]})
    issued = services.invoice_issue(organization=org, actor=user, invoice_id=draft.pk)
    assert issued.number.endswith("0002")


def test_cancel_and_correct_of_drafts_and_old_void_invoices_are_refused(org, user, business, customer):
    for status in ("draft", "void"):
        invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
        for action in (services.invoice_cancel, services.invoice_correct):
            with pytest.raises(StateConflict):
                action(organization=org, actor=user, invoice_id=invoice.pk)
