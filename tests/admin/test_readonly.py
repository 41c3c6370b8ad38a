"""The admin cannot change billing data behind the services' back."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from audit.models import AuditEntry
from billing import services
from billing.models import CreditNote, CreditNoteItem, Invoice, InvoiceItem, Payment
from organizations.tenancy import all_tenants
from tests.admin.builders import invoice_in
from tests.organizations.factories import make_api_key

pytestmark = pytest.mark.django_db

MONEY_FIELDS = ("subtotal", "discount_total", "tax_total", "total", "amount_paid", "balance_due", "discount_value")
PROTECTED_FIELDS = (*MONEY_FIELDS, "status", "number", "version", "business_snapshot", "customer_snapshot", "currency")


def fresh(invoice):
    with all_tenants():
        return Invoice.objects.get(pk=invoice.pk)


@pytest.fixture
def invoice(orgs):
    return invoice_in(organization=orgs[0], status="partially_paid")


def test_invoice_page_shows_money_but_has_no_input_for_it(staff_client, invoice):
    response = staff_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    for field in PROTECTED_FIELDS:
        assert f'name="{field}"' not in html, field
    # Money reads in the currency's places (stored with 3 for every currency).
    assert invoice.total == Decimal("120.000")
    assert "€120.00<" in html
    assert "120.000" not in html
    assert invoice.number in html
    assert 'type="submit" value="Save"' not in html


def test_post_to_invoice_change_page_changes_nothing(staff_client, invoice):
    before = fresh(invoice)
    payload = dict.fromkeys(MONEY_FIELDS, "0") | {
        "status": "paid",
        "number": "HACKED-1",
        "version": "99",
        "notes": "changed by support",
    }

    response = staff_client.post(reverse("admin:billing_invoice_change", args=[invoice.pk]), payload)

    assert response.status_code == 403
    after = fresh(invoice)
    for field in (*PROTECTED_FIELDS, "notes", "updated_at"):
        assert getattr(after, field) == getattr(before, field), field
    assert after.total > Decimal(0)


@pytest.mark.parametrize(
    "url_name",
    ["admin:billing_invoice_add", "admin:billing_invoiceitem_add", "admin:billing_payment_add"],
)
def test_no_add_page_for_invoices_items_payments(staff_client, url_name):
    assert staff_client.get(reverse(url_name)).status_code == 403


def test_issued_invoice_cannot_be_deleted_in_the_admin(staff_client, invoice):
    url = reverse("admin:billing_invoice_delete", args=[invoice.pk])

    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert fresh(invoice).number == invoice.number


def test_bulk_delete_is_not_offered_on_billing_changelists(staff_client, invoice):
    for model in ("invoice", "invoiceitem", "payment"):
        response = staff_client.get(reverse(f"admin:billing_{model}_changelist"))
        assert "delete_selected" not in response.content.decode(), model

    response = staff_client.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "delete_selected", "_selected_action": [invoice.pk], "post": "yes"},
    )
    assert fresh(invoice).pk == invoice.pk
    assert response.status_code in (200, 302)


def test_item_and_payment_change_pages_are_view_only(staff_client, invoice):
    with all_tenants():
        item = InvoiceItem.objects.filter(invoice=invoice).first()
        payment = Payment.objects.get(invoice=invoice)

    item_url = reverse("admin:billing_invoiceitem_change", args=[item.pk])
    payment_url = reverse("admin:billing_payment_change", args=[payment.pk])
    assert 'name="unit_price"' not in staff_client.get(item_url).content.decode()
    assert 'name="amount"' not in staff_client.get(payment_url).content.decode()
    assert staff_client.post(item_url, {"unit_price": "1", "quantity": "1"}).status_code == 403
    assert staff_client.post(payment_url, {"amount": "1"}).status_code == 403
    with all_tenants():
        assert Payment.objects.get(pk=payment.pk).amount == payment.amount
        assert InvoiceItem.objects.get(pk=item.pk).unit_price == item.unit_price


def test_audit_entries_cannot_be_added_changed_or_deleted(staff_client, invoice):
    with all_tenants():
        entry = AuditEntry.objects.filter(organization=invoice.organization).first()
    change_url = reverse("admin:audit_auditentry_change", args=[entry.pk])

    assert staff_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert staff_client.post(change_url, {"action": "rewritten"}).status_code == 403
    assert staff_client.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    ).status_code == (403)
    assert 'name="action"' not in staff_client.get(change_url).content.decode()
    with all_tenants():
        assert AuditEntry.objects.get(pk=entry.pk).action == entry.action


def test_invoice_page_shows_its_audit_trail(staff_client, invoice):
    response = staff_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))
    html = response.content.decode()

    assert "invoice.issued" in html
    assert "payment.recorded" in html


def test_api_key_pages_show_the_prefix_never_the_hash(staff_client, orgs):
    key, raw = make_api_key(orgs[0])

    pages = [
        reverse("admin:organizations_apikey_changelist"),
        reverse("admin:organizations_apikey_change", args=[key.pk]),
        reverse("admin:organizations_organization_change", args=[orgs[0].pk]),
    ]
    for url in pages:
        html = staff_client.get(url).content.decode()
        assert key.prefix in html, url
        assert key.secret_hash not in html, url
        assert raw not in html, url


def test_every_tenant_model_admin_is_view_only(rf, staff_user):
    """Only accounts (users, groups, email addresses) keep Django's permissions; every tenant
    model is view-only for staff, superusers included."""
    from accounts.models import User

    request = rf.get("/admin/")
    request.user = User(is_staff=True, is_superuser=True, is_active=True)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in ("accounts", "auth", "account"):
            continue
        assert model_admin.has_view_permission(request), model
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model


def test_an_issued_credit_note_cannot_be_changed_or_deleted_in_the_admin(staff_client, invoice):
    """Final after issue, in the admin too: the page shows its money without an input, a POST
    to change or delete it is refused and changes nothing, no bulk delete is offered."""
    note = services.invoice_cancel(organization=invoice.organization, actor=None, invoice_id=invoice.pk)
    with all_tenants():
        lines_before = list(CreditNoteItem.objects.filter(credit_note=note).values_list("unit_price", "quantity"))
    url = reverse("admin:billing_creditnote_change", args=[note.pk])
    html = staff_client.get(url).content.decode()
    assert note.number in html
    for field in ("total", "subtotal", "tax_total", "number", "reason", "status"):
        assert f'name="{field}"' not in html, field
    assert 'name="items-0-unit_price"' not in html
    payload = {"number": "HACKED-1", "total": "0", "status": "draft", "reason": "changed by support"}
    assert staff_client.post(url, payload).status_code == 403
    delete = reverse("admin:billing_creditnote_delete", args=[note.pk])
    assert staff_client.get(delete).status_code == 403
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:billing_creditnote_changelist")
    assert "delete_selected" not in staff_client.get(changelist).content.decode()
    staff_client.post(changelist, {"action": "delete_selected", "_selected_action": [note.pk], "post": "yes"})
    with all_tenants():
        after = CreditNote.objects.get(pk=note.pk)
        lines = list(CreditNoteItem.objects.filter(credit_note=note).values_list("unit_price", "quantity"))
    assert (after.number, after.total, after.status, after.reason, after.version) == (
        note.number,
        note.total,
        "issued",
        note.reason,
        note.version,
    )
    assert lines == lines_before and lines
