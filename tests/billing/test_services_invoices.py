"""Invoice services: create/update/delete with items and totals, issue, void, mark sent."""

import uuid
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest

from audit.models import AuditEntry
from billing import services
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import Invoice, InvoiceItem, NumberSequence
from organizations.tenancy import organization_scope
from tests.billing.factories import (
    BusinessFactory,
    CustomerFactory,
    assert_stored_totals,
    make_invoice,
)

ITEM = {"description": "Work", "quantity": "2", "unit_price": "50.00", "tax_rate": "20"}


def create(org, actor, business, customer, **data):
    payload = {"business": business.pk, "customer": customer.pk, "items": [ITEM], **data}
    return services.invoice_create(organization=org, actor=actor, data=payload)


def errors_of(call, **kwargs):
    with pytest.raises(BillingValidationError) as excinfo:
        call(**kwargs)
    return excinfo.value.errors


def reload(org, invoice):
    with organization_scope(org):
        return Invoice.objects.get(pk=invoice.pk)


# --- create ---------------------------------------------------------------------------------


def test_create_makes_a_draft_with_items_and_stored_totals(org, user, business, customer, audit_entries):
    invoice = services.invoice_create(
        organization=org,
        actor=user,
        data={
            "business": str(business.pk),
            "customer": str(customer.pk),
            "currency": "EUR",
            "issue_date": "2026-11-25",
            "due_date": "2026-12-25",
            "discount_type": "percent",
            "discount_value": "10",
            "items": [
                {"description": "Design work", "quantity": "12.5", "unit_price": "80.00", "tax_rate": "20"},
                {"description": "Books", "quantity": "3", "unit_price": "19.99", "tax_rate": "7"},
            ],
        },
    )
    invoice = reload(org, invoice)
    assert invoice.status == "draft"
    assert invoice.number is None
    assert invoice.version == 1
    assert invoice.created_by_user == user
    # 1000.00 + 59.97 = 1059.97; 10 % = 106.00 (half up of 105.997); spread by largest
    # remainder: 10000.28 -> 100.00 and 599.72 -> 6.00 (the left-over cent goes to 0.72)
    assert invoice.subtotal == Decimal("1059.97")
    assert invoice.discount_total == Decimal("106.00")
    assert invoice.tax_breakdown == [
        {
            "category": "S",
            "rate": "7.000",
            "taxable_amount": "53.97",
            "tax_amount": "3.78",
            "exemption_reason": "",
            "exemption_reason_code": "",
        },
        {
            "category": "S",
            "rate": "20.000",
            "taxable_amount": "900.00",
            "tax_amount": "180.00",
            "exemption_reason": "",
            "exemption_reason_code": "",
        },
    ]
    assert invoice.total == Decimal("1137.75")
    assert invoice.balance_due == invoice.total
    with organization_scope(org):
        assert list(invoice.items.values_list("position", "description")) == [(1, "Design work"), (2, "Books")]
    assert_stored_totals(invoice)
    [entry] = audit_entries()
    assert entry.action == "invoice.created"
    assert entry.changes["total"] == [None, "1137.75"]
    assert entry.changes["items"][1][0]["quantity"] == "12.5"


def test_create_defaults_come_from_the_business_and_the_org_time_zone(org, user, customer):
    business = BusinessFactory(
        organization=org, default_currency="JPY", payment_terms_days=14, default_notes="Thanks", default_terms="Net 14"
    )
    invoice = services.invoice_create(
        organization=org,
        actor=user,
        data={"business": business.pk, "customer": customer.pk, "items": [{**ITEM, "unit_price": "1500"}]},
    )
    assert invoice.currency == "JPY"
    assert invoice.issue_date == org.local_today()
    assert invoice.due_date == org.local_today() + timedelta(days=14)
    assert (invoice.notes, invoice.terms) == ("Thanks", "Net 14")
    assert reload(org, invoice).total == Decimal(3600)  # 3000 + 20 %, no minor unit
    assert_stored_totals(invoice)


def test_create_with_references_of_another_organization_errors_on_the_field(org, other_org, user, business, customer):
    foreign_business = BusinessFactory(organization=other_org)
    foreign_customer = CustomerFactory(organization=other_org)
    errors = errors_of(
        services.invoice_create,
        organization=org,
        actor=user,
        data={"business": foreign_business.pk, "customer": str(foreign_customer.pk), "items": []},
    )
    assert errors == {
        "business": ["Object does not exist."],
        "customer": ["Object does not exist."],
    }
    missing = uuid.uuid4()
    errors = errors_of(
        services.invoice_create, organization=org, actor=user, data={"business": missing, "customer": customer.pk}
    )
    assert errors == {"business": ["Object does not exist."]}
    with organization_scope(org):
        assert not Invoice.objects.exists()


def test_each_reference_is_read_once_inside_the_organization(
    org, other_org, user, business, customer, django_assert_max_num_queries
):
    with django_assert_max_num_queries(100) as captured:
        invoice = services.invoice_create(
            organization=org, actor=user, data={"business": str(business.pk), "customer": str(customer.pk)}
        )
    assert (invoice.business_id, invoice.customer_id) == (business.pk, customer.pk)
    reads = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("SELECT")]
    for table, pk in (("billing_business", business.pk), ("billing_customer", customer.pk)):
        [read] = [sql for sql in reads if f'FROM "{table}"' in sql]
        assert "organization_id" in read and pk.hex in read.replace("-", "")

    # Another organization's id is looked up in this one, and not found: the same error as a missing id.
    foreign_customer = CustomerFactory(organization=other_org)
    missing = str(uuid.uuid4())
    for customer_id in (str(foreign_customer.pk), missing):
        errors = errors_of(
            services.invoice_create,
            organization=org,
            actor=user,
            data={"business": str(business.pk), "customer": customer_id},
        )
        assert errors == {"customer": ["Object does not exist."]}


def test_create_refuses_bad_input_with_field_errors(org, user, business, customer):
    errors = errors_of(
        create,
        org=org,
        actor=user,
        business=business,
        customer=customer,
        currency="EURO",
        issue_date="2026-13-01",
        discount_type="fixed",
        items=[ITEM, {**ITEM, "quantity": 2.0}, {**ITEM, "unit_price": "1e3"}],
    )
    assert set(errors) == {"currency", "issue_date", "discount_type", "items"}
    assert errors["items"][0] == {}
    assert errors["items"][1] == {"quantity": ["Send amounts as decimal strings."]}
    assert "exponent" in errors["items"][2]["unit_price"][0]


def test_create_refuses_due_before_issue(org, user, business, customer):
    errors = errors_of(
        create,
        org=org,
        actor=user,
        business=business,
        customer=customer,
        issue_date="2026-11-25",
        due_date="2026-11-24",
    )
    assert errors == {"due_date": ["The due date cannot be before the issue date."]}


def test_create_refuses_unknown_fields_and_archived_customers(org, user, business, customer):
    assert errors_of(create, org=org, actor=user, business=business, customer=customer, total="5") == {
        "total": ["Unknown field."]
    }
    archived = CustomerFactory(organization=org, archived=True)
    errors = errors_of(create, org=org, actor=user, business=business, customer=archived)
    assert "archived" in errors["customer"][0]


@pytest.mark.parametrize(
    ("discount_type", "value", "currency", "fragment"),
    [
        ("amount", "100.01", "EUR", "larger than the subtotal"),  # subtotal is 100.00
        ("amount", "5.001", "EUR", "at most 2 decimal places"),
        ("amount", "5.5", "JPY", "no decimal places"),
        ("percent", "100.5", "EUR", "less than or equal to 100"),
        ("percent", "10.0001", "EUR", "3 decimal places"),
        ("percent", 10.0, "EUR", "decimal strings"),
    ],
)
def test_discount_rules(org, user, business, customer, discount_type, value, currency, fragment):
    errors = errors_of(
        create,
        org=org,
        actor=user,
        business=business,
        customer=customer,
        currency=currency,
        discount_type=discount_type,
        discount_value=value,
    )
    assert fragment in errors["discount_value"][0]


def test_amount_discount_equal_to_subtotal_is_allowed(org, user, business, customer):
    invoice = create(org, user, business, customer, discount_type="amount", discount_value="100.00")
    assert invoice.total == 0
    assert_stored_totals(invoice)


def test_invoice_totals_above_1e12_are_refused(org, user, business, customer):
    huge = {"description": "x", "quantity": "100", "unit_price": "10000000000", "tax_rate": "0"}  # 1e12 exactly
    invoice = create(org, user, business, customer, items=[huge])
    assert invoice.total == Decimal("1000000000000")
    errors = errors_of(
        create,
        org=org,
        actor=user,
        business=business,
        customer=customer,
        items=[huge, {**huge, "quantity": "0.0001", "unit_price": "100"}],
    )
    assert "1,000,000,000,000" in errors["items"][0]
    errors = errors_of(
        create, org=org, actor=user, business=business, customer=customer, items=[{**huge, "tax_rate": "0.001"}]
    )
    assert "1,000,000,000,000" in errors["items"][0]


def test_a_failure_while_writing_items_leaves_no_invoice(org, user, business, customer):
    with organization_scope(org):
        manager = InvoiceItem.objects
    with (
        mock.patch.object(type(manager), "bulk_create", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        create(org, user, business, customer)
    with organization_scope(org):
        assert not Invoice.objects.exists()
        assert not InvoiceItem.objects.exists()
        assert not AuditEntry.objects.exists()


# --- update ---------------------------------------------------------------------------------


def test_update_replaces_items_recomputes_totals_and_bumps_version(org, user, business, customer, audit_entries):
    invoice = create(org, user, business, customer)
    updated = services.invoice_update(
        organization=org,
        actor=user,
        invoice_id=invoice.pk,
        data={"items": [{**ITEM, "quantity": "3"}, {**ITEM, "description": "More", "tax_rate": "0"}]},
    )
    assert updated.version == 2
    assert reload(org, invoice).total == Decimal("280.00")  # 150 + 30 tax + 100
    assert_stored_totals(invoice)
    entry = audit_entries(action="invoice.updated")[0]
    assert entry.changes["total"] == ["120.00", "280.00"]
    assert len(entry.changes["items"][1]) == 2


@pytest.mark.parametrize(
    "data",
    [
        {"issue_date": "2026-01-02"},
        {"due_date": "2099-01-01"},
        {"discount_type": "amount", "discount_value": "5.00"},
        {"notes": "Thanks!"},
        {"terms": "Net 7"},
        {"items": [{**ITEM, "description": "Renamed"}]},
    ],
)
def test_every_printed_change_increments_version(org, user, business, customer, data):
    invoice = create(org, user, business, customer, issue_date="2026-01-01", due_date="2026-02-01")
    updated = services.invoice_update(organization=org, actor=user, invoice_id=invoice.pk, data=data)
    assert updated.version == invoice.version + 1
    assert_stored_totals(updated)


def test_an_update_that_changes_nothing_keeps_version(org, user, business, customer):
    invoice = create(org, user, business, customer)
    updated = services.invoice_update(
        organization=org, actor=user, invoice_id=invoice.pk, data={"items": [ITEM], "notes": invoice.notes}
    )
    assert updated.version == invoice.version


def test_discount_change_rewrites_line_discounts(org, user, business, customer):
    invoice = create(org, user, business, customer, items=[ITEM, {**ITEM, "unit_price": "25.00"}])
    services.invoice_update(
        organization=org, actor=user, invoice_id=invoice.pk, data={"discount_type": "amount", "discount_value": "15"}
    )
    assert_stored_totals(invoice)
    with organization_scope(org):
        assert list(InvoiceItem.objects.order_by("position").values_list("line_discount", flat=True)) == [
            Decimal("10.00"),
            Decimal("5.00"),
        ]


@pytest.mark.parametrize("status", ["issued", "partially_paid", "paid", "credited", "void"])
@pytest.mark.parametrize(
    "data",
    [{"notes": "x"}, {"items": [ITEM]}, {"due_date": "2099-12-31"}, {"currency": "USD"}, {}],
    ids=["notes", "items", "due_date", "currency", "nothing"],
)
def test_an_issued_invoice_is_final_and_points_to_credit_notes(org, user, business, customer, status, data):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    before = reload(org, invoice)
    with pytest.raises(StateConflict, match="credit note"):
        services.invoice_update(organization=org, actor=user, invoice_id=invoice.pk, data=data)
    after = reload(org, invoice)
    assert (after.notes, after.total, after.due_date, after.version) == (
        before.notes,
        before.total,
        before.due_date,
        before.version,
    )


def test_business_customer_and_currency_can_change_on_a_draft(org, user, business, customer):
    invoice = create(org, user, business, customer)
    other_business = BusinessFactory(organization=org)
    other_customer = CustomerFactory(organization=org)
    updated = services.invoice_update(
        organization=org,
        actor=user,
        invoice_id=invoice.pk,
        data={"business": other_business.pk, "customer": other_customer.pk, "currency": "KWD"},
    )
    assert (updated.business_id, updated.customer_id, updated.currency) == (
        other_business.pk,
        other_customer.pk,
        "KWD",
    )
    assert reload(org, invoice).total == Decimal("120.000")
    assert_stored_totals(updated)


def test_update_of_another_organizations_invoice_is_not_found(org, other_org, user):
    foreign = make_invoice(organization=other_org)
    with pytest.raises(NotFound):
        services.invoice_update(organization=org, actor=user, invoice_id=foreign.pk, data={"notes": "x"})
    with pytest.raises(NotFound):
        services.invoice_delete(organization=org, actor=user, invoice_id=foreign.pk)
    with pytest.raises(NotFound):
        services.invoice_issue(organization=org, actor=user, invoice_id=foreign.pk)
    assert reload(other_org, foreign).notes == foreign.notes


# --- delete ---------------------------------------------------------------------------------


def test_drafts_can_be_deleted(org, user, business, customer, audit_entries):
    invoice = create(org, user, business, customer)
    services.invoice_delete(organization=org, actor=user, invoice_id=invoice.pk)
    with organization_scope(org):
        assert not Invoice.objects.exists()
        assert not InvoiceItem.objects.exists()
    assert audit_entries()[-1].action == "invoice.deleted"
    assert audit_entries()[-1].target_id == str(invoice.pk)


@pytest.mark.parametrize("status", ["issued", "partially_paid", "paid", "void"])
def test_only_drafts_can_be_deleted(org, user, business, customer, status):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    with pytest.raises(StateConflict):
        services.invoice_delete(organization=org, actor=user, invoice_id=invoice.pk)
    assert reload(org, invoice).number == invoice.number


# --- issue ----------------------------------------------------------------------------------


def test_issue_numbers_snapshots_and_bumps_version(org, user, business, customer, audit_entries):
    invoice = create(org, user, business, customer, issue_date="2026-03-05", due_date="2026-04-05")
    issued = services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    assert issued.number == "INV-2026-0001"
    assert issued.status == "issued"
    assert issued.issued_at is not None
    assert issued.version == invoice.version + 1
    assert issued.business_snapshot["name"] == business.name
    assert issued.business_snapshot["tax_id"] == business.tax_id
    assert issued.customer_snapshot["billing_address"] == customer.billing_address
    entry = audit_entries(action="invoice.issued")[0]
    assert entry.changes["number"] == [None, "INV-2026-0001"]
    # Later changes to the business and customer do not touch the snapshot.
    services.business_update(organization=org, actor=user, business_id=business.pk, data={"name": "Renamed"})
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"address_line1": "New"})
    again = reload(org, invoice)
    assert again.business_snapshot["name"] == business.name
    assert again.customer_snapshot["billing_address"] == customer.billing_address


def test_numbers_are_consecutive_per_business_and_restart_yearly(org, user, business, customer):
    other_business = BusinessFactory(organization=org)
    numbers = []
    for issue_date, owner in [
        ("2026-01-10", business),
        ("2026-05-01", business),
        ("2026-02-01", other_business),
        ("2027-01-02", business),
        ("2026-12-31", business),
    ]:
        invoice = create(org, user, owner, customer, issue_date=issue_date, due_date=issue_date)
        numbers.append(services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk).number)
    assert numbers == ["INV-2026-0001", "INV-2026-0002", "INV-2026-0001", "INV-2027-0001", "INV-2026-0003"]


def test_number_format_tokens_width_and_no_reset(org, user, customer):
    business = BusinessFactory(
        organization=org,
        invoice_number_format="{YY}{MM}/{SEQ}",
        invoice_number_width=6,
        invoice_number_yearly_reset=False,
    )
    first = create(org, user, business, customer, issue_date="2026-11-25", due_date="2026-12-25")
    second = create(org, user, business, customer, issue_date="2027-02-01", due_date="2027-03-01")
    assert services.invoice_issue(organization=org, actor=user, invoice_id=first.pk).number == "2611/000001"
    assert services.invoice_issue(organization=org, actor=user, invoice_id=second.pk).number == "2702/000002"
    with organization_scope(org):
        assert list(NumberSequence.objects.values_list("year", "last_value")) == [(0, 2)]


def test_issue_refuses_a_number_already_taken(org, user, customer):
    business = BusinessFactory(organization=org, invoice_number_format="A-{SEQ}", invoice_number_yearly_reset=False)
    first = create(org, user, business, customer)
    services.invoice_issue(organization=org, actor=user, invoice_id=first.pk)  # A-0001
    with organization_scope(org):
        NumberSequence.objects.update(last_value=0)  # as if the numbering had been reset by hand
    second = create(org, user, business, customer)
    with pytest.raises(StateConflict) as excinfo:
        services.invoice_issue(organization=org, actor=user, invoice_id=second.pk)
    assert "A-0001" in excinfo.value.conflict_message
    assert reload(org, second).status == "draft"


def test_issue_needs_an_item_and_a_positive_total(org, user, business, customer):
    empty = create(org, user, business, customer, items=[])
    with pytest.raises(StateConflict, match="at least one item"):
        services.invoice_issue(organization=org, actor=user, invoice_id=empty.pk)
    free = create(org, user, business, customer, items=[{**ITEM, "unit_price": "0"}])
    with pytest.raises(StateConflict, match="zero"):
        services.invoice_issue(organization=org, actor=user, invoice_id=free.pk)
    assert reload(org, free).number is None
    with organization_scope(org):
        assert not NumberSequence.objects.filter(last_value__gt=0).exists()


@pytest.mark.parametrize("status", ["issued", "partially_paid", "paid", "void"])
def test_only_drafts_can_be_issued(org, user, business, customer, status):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    with pytest.raises(StateConflict):
        services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)


# --- void -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["issued", "partially_paid", "paid", "credited"])
def test_void_of_an_issued_invoice_is_refused_naming_cancel(org, user, business, customer, status, audit_entries):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    entries = len(audit_entries())
    with pytest.raises(StateConflict, match="cancel it instead"):
        services.invoice_void(organization=org, actor=user, invoice_id=invoice.pk)
    assert (reload(org, invoice).status, len(audit_entries())) == (status, entries)


@pytest.mark.parametrize(("status", "message"), [("draft", "delete it"), ("void", "already void")])
def test_void_of_a_draft_or_a_void_invoice_is_refused(org, user, business, customer, status, message):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    with pytest.raises(StateConflict, match=message):
        services.invoice_void(organization=org, actor=user, invoice_id=invoice.pk)
    assert reload(org, invoice).status == status


# --- mark sent ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["issued", "partially_paid", "paid"])
def test_mark_sent_sets_sent_at_without_a_new_version(org, user, business, customer, status, audit_entries):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    sent = services.invoice_mark_sent(organization=org, actor=None, invoice_id=invoice.pk)
    assert sent.sent_at is not None
    assert reload(org, invoice).version == invoice.version
    entry = audit_entries()[-1]
    assert (entry.action, entry.actor_type) == ("invoice.sent", "system")


@pytest.mark.parametrize("status", ["draft", "void"])
def test_mark_sent_refused_on_drafts_and_void(org, user, business, customer, status):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    with pytest.raises(StateConflict):
        services.invoice_mark_sent(organization=org, actor=user, invoice_id=invoice.pk)


def test_totals_stay_consistent_through_a_lifecycle(org, user, business, customer):
    invoice = create(
        org,
        user,
        business,
        customer,
        currency="KWD",
        items=[{**ITEM, "unit_price": "0.3335"}, {**ITEM, "tax_rate": "5", "quantity": "3"}],
        discount_type="percent",
        discount_value="12.5",
    )
    assert_stored_totals(invoice)
    invoice = services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    assert_stored_totals(invoice)
    payment = services.payment_record(
        organization=org, actor=user, invoice_id=invoice.pk, amount="10.001", date=date.today() - timedelta(days=2)
    )
    assert_stored_totals(invoice)
    note = services.credit_note_create(
        organization=org, actor=user, data={"invoice": invoice.pk, "items": [{**ITEM, "tax_rate": "5"}]}
    )
    services.credit_note_issue(organization=org, actor=user, credit_note_id=note.pk)
    assert_stored_totals(invoice)
    services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="wrong invoice")
    assert_stored_totals(invoice)
    services.invoice_cancel(organization=org, actor=user, invoice_id=invoice.pk, reason="Ordered by mistake")
    assert_stored_totals(invoice)
    assert reload(org, invoice).status == "credited"


def test_create_costs_the_same_queries_for_1_and_100_items(org, user, business, customer):
    """One bulk insert for the items. PostgreSQL takes 500 items in that one statement;
    SQLite's parameter limit makes Django split it, so there only the item inserts may grow."""
    import math

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    item_insert = 'INSERT INTO "billing_invoiceitem"'
    per_statement = connection.ops.bulk_batch_size(InvoiceItem._meta.concrete_fields, [None] * 500)
    other_counts = []
    for count in (1, 100, 500):
        with CaptureQueriesContext(connection) as captured:
            invoice = create(org, user, business, customer, items=[ITEM] * count)
        statements = [query["sql"] for query in captured.captured_queries]
        inserts = [sql for sql in statements if sql.startswith(item_insert)]
        other_counts.append(len(statements) - len(inserts))
        expected_inserts = 1 if connection.vendor == "postgresql" else math.ceil(count / per_statement)
        assert len(inserts) == expected_inserts
        with organization_scope(org):
            assert invoice.items.count() == count
    assert other_counts[0] == other_counts[1] == other_counts[2]


def test_update_with_items_costs_a_constant_number_of_queries(
    org, user, business, customer, django_assert_max_num_queries
):
    invoice = create(org, user, business, customer, items=[ITEM] * 3)
    with django_assert_max_num_queries(16):
        services.invoice_update(organization=org, actor=user, invoice_id=invoice.pk, data={"items": [ITEM] * 200})
    assert_stored_totals(invoice)


def test_default_due_date_past_year_9999_is_a_field_error_not_a_crash(org, user, business, customer):
    errors = errors_of(create, org=org, actor=user, business=business, customer=customer, issue_date="9999-12-31")
    assert "due_date" in errors
    invoice = create(org, user, business, customer, issue_date="9999-12-31", due_date="9999-12-31")
    assert invoice.due_date == date(9999, 12, 31)


# --- hostile input: every text refuses surrogates and control characters --------------------


def test_a_lone_surrogate_in_an_item_description_is_a_field_error_and_nothing_is_written(
    org, user, business, customer, audit_entries
):
    errors = errors_of(
        create,
        org=org,
        actor=user,
        business=business,
        customer=customer,
        items=[ITEM, {**ITEM, "description": "Design \ud800"}],
    )
    assert errors == {
        "items": [{}, {"description": ["Text may not contain an unpaired surrogate character (U+D800)."]}]
    }
    with organization_scope(org):
        assert not Invoice.objects.exists() and not InvoiceItem.objects.exists()
    assert audit_entries() == []


@pytest.mark.parametrize("field", ["notes", "terms"])
def test_notes_and_terms_keep_lines_and_tabs_but_refuse_other_control_characters(org, user, business, customer, field):
    invoice = create(org, user, business, customer, **{field: "Line one\r\n\tLine two"})
    assert getattr(reload(org, invoice), field) == "Line one\n\tLine two"
    for text in ("bell\x07", "\ud83d", "vertical\x0btab"):
        errors = errors_of(
            services.invoice_update, organization=org, actor=user, invoice_id=invoice.pk, data={field: text}
        )
        assert list(errors) == [field]


def test_item_errors_are_tied_to_the_item_by_path(org, user, business, customer):
    items = [ITEM, ITEM, ITEM, {**ITEM, "quantity": "-1"}]
    with pytest.raises(BillingValidationError) as excinfo:
        create(org, user, business, customer, items=items)
    assert excinfo.value.messages == {"items.3.quantity": ["Ensure this value is greater than 0."]}
    assert excinfo.value.billing_errors == {
        "items": [{}, {}, {}, {"quantity": ["Ensure this value is greater than 0."]}]
    }


# --- hostile input: numbers in exactly the documented syntax ---------------------------------


@pytest.mark.parametrize("value", [" 1 ", "+1", "１２", "٣"])
@pytest.mark.parametrize("field", ["quantity", "unit_price", "tax_rate"])
def test_item_numbers_take_only_ascii_digits_and_a_point(org, user, business, customer, field, value):
    errors = errors_of(
        create, org=org, actor=user, business=business, customer=customer, items=[{**ITEM, field: value}]
    )
    assert errors == {
        "items": [{field: ["A valid number is required: use the digits 0-9 and at most one decimal point."]}]
    }


@pytest.mark.parametrize("value", [" 10 ", "+10", "１０", "١٠"])
def test_discount_values_take_only_ascii_digits_and_a_point(org, user, business, customer, value):
    for discount_type in ("percent", "amount"):
        errors = errors_of(
            create,
            org=org,
            actor=user,
            business=business,
            customer=customer,
            discount_type=discount_type,
            discount_value=value,
        )
        assert list(errors) == ["discount_value"] and "valid number" in errors["discount_value"][0]


# --- hostile input: only currencies a business can invoice in --------------------------------


@pytest.mark.parametrize("code", ["XXX", "XAU", "XDR", "XTS", "XBA", "XSU", "XUA"])
def test_currency_codes_that_are_not_money_are_refused(org, user, business, customer, code):
    errors = errors_of(create, org=org, actor=user, business=business, customer=customer, currency=code)
    assert list(errors) == ["currency"]
    assert "is not a currency a business can invoice in" in errors["currency"][0]
    invoice = create(org, user, business, customer)
    errors = errors_of(
        services.invoice_update, organization=org, actor=user, invoice_id=invoice.pk, data={"currency": code}
    )
    assert "is not a currency a business can invoice in" in errors["currency"][0]
    assert reload(org, invoice).currency == "EUR"


# --- duplicate ------------------------------------------------------------------------------


def test_duplicate_copies_a_void_invoice_into_a_new_draft(org, user, business, customer, audit_entries):
    source = make_invoice(organization=org, business=business, customer=customer, actor=user, status="void")
    copy = services.invoice_duplicate(organization=org, actor=user, invoice_id=source.pk)
    assert (copy.status, copy.number, copy.version) == ("draft", None, 1)
    assert (copy.total, copy.currency, copy.business_id, copy.customer_id) == (
        source.total,
        source.currency,
        business.pk,
        customer.pk,
    )
    assert_stored_totals(copy)
    [entry] = audit_entries(action="invoice.created", target_id=str(copy.pk))
    assert entry.changes["duplicated_from"] == [None, source.number]
    assert entry.changes["items"][0] is None
    with organization_scope(org):
        copied = list(copy.items.order_by("position").values_list("description", "quantity", "unit_price", "tax_rate"))
        original = list(
            source.items.order_by("position").values_list("description", "quantity", "unit_price", "tax_rate")
        )
    assert copied == original and copied


def test_duplicate_of_another_organizations_invoice_is_not_found(org, other_org, user):
    foreign = make_invoice(organization=other_org)
    for invoice_id in (foreign.pk, uuid.uuid4(), "not-an-id"):
        with pytest.raises(NotFound):
            services.invoice_duplicate(organization=org, actor=user, invoice_id=invoice_id)
    with organization_scope(org):
        assert not Invoice.objects.filter(organization=org).exists()
