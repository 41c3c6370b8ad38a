"""One audit entry per service call, and document refresh only after commit."""

from unittest import mock

import pytest
from django.db import transaction

from audit.models import AuditEntry
from billing import hooks, services
from billing.exceptions import StateConflict
from billing.models import Invoice
from billing.signals import invoice_version_changed
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice

ITEM = {"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}


def audit_count(org):
    with organization_scope(org):
        return AuditEntry.objects.count()


def test_each_service_writes_exactly_one_audit_entry_with_its_action(org, user):
    calls = []

    def run(action, call, **kwargs):
        actions = action if isinstance(action, list) else [action]
        before = audit_count(org)
        result = call(organization=org, actor=user, **kwargs)
        with organization_scope(org):
            entries = list(AuditEntry.objects.order_by("sequence")[before:])
        assert [entry.action for entry in entries] == actions, action
        calls.append(action)
        return result

    business = run("business.created", services.business_create, data={"name": "B", "country": "FR"})
    run("business.updated", services.business_update, business_id=business.pk, data={"name": "B2"})
    customer = run("customer.created", services.customer_create, data={"name": "C", "country": "DE"})
    run("customer.updated", services.customer_update, customer_id=customer.pk, data={"name": "C2"})
    spare = run("customer.created", services.customer_create, data={"name": "Spare"})
    run("customer.deleted", services.customer_delete, customer_id=spare.pk)
    data = {"business": business.pk, "customer": customer.pk, "items": [ITEM]}
    draft = run("invoice.created", services.invoice_create, data=data)
    run("invoice.deleted", services.invoice_delete, invoice_id=draft.pk)
    invoice = run("invoice.created", services.invoice_create, data=data)
    run("invoice.updated", services.invoice_update, invoice_id=invoice.pk, data={"notes": "n"})
    run("invoice.issued", services.invoice_issue, invoice_id=invoice.pk)
    run("invoice.sent", services.invoice_mark_sent, invoice_id=invoice.pk)
    payment = run(
        "payment.recorded", services.payment_record, invoice_id=invoice.pk, amount="5.00", date=org.local_today()
    )
    run("payment.voided", services.payment_void, payment_id=payment.pk, reason="r")
    today = org.local_today()
    run("payment.recorded", services.payment_record, invoice_id=invoice.pk, amount="100.00", date=today)
    credit = {"invoice": invoice.pk, "reason": "Discount", "items": [{**ITEM, "unit_price": "10.00"}]}
    note = run("credit_note.created", services.credit_note_create, data=credit)
    run("credit_note.updated", services.credit_note_update, credit_note_id=note.pk, data={"reason": "Goodwill"})
    run("credit_note.issued", services.credit_note_issue, credit_note_id=note.pk)
    spare_note = run("credit_note.created", services.credit_note_create, data=credit)
    run("credit_note.deleted", services.credit_note_delete, credit_note_id=spare_note.pk)
    run("refund.recorded", services.payment_record, invoice_id=invoice.pk, amount="10.00", date=today, kind="refund")
    run(
        ["credit_note.created", "credit_note.issued", "invoice.cancelled"],
        services.invoice_cancel,
        invoice_id=invoice.pk,
        reason="Cancelled",
    )
    run("customer.archived", services.customer_update, customer_id=customer.pk, data={"archived": True})
    assert len(calls) == 23


def test_a_refused_action_writes_no_audit_entry(org, user):
    invoice = make_invoice(organization=org, status="paid")
    before = audit_count(org)
    with pytest.raises(StateConflict):
        services.invoice_void(organization=org, actor=user, invoice_id=invoice.pk)
    with pytest.raises(StateConflict):
        services.invoice_update(organization=org, actor=user, invoice_id=invoice.pk, data={"notes": "n"})
    assert audit_count(org) == before


def test_money_in_audit_changes_is_a_string(org, user):
    invoice = make_invoice(organization=org, status="issued", items=[ITEM])
    services.payment_record(organization=org, actor=user, invoice_id=invoice.pk, amount="12.50", date=org.local_today())
    with organization_scope(org):
        entry = AuditEntry.objects.get(action="payment.recorded")
    assert entry.changes["amount"] == [None, "12.50"]


# --- document refresh hook ------------------------------------------------------------------


@pytest.fixture
def received():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    invoice_version_changed.connect(receiver, weak=False)
    yield calls
    invoice_version_changed.disconnect(receiver)


def test_services_schedule_the_refresh_through_the_hook(org, user):
    with mock.patch.object(hooks, "schedule_document_refresh", wraps=hooks.schedule_document_refresh) as spy:
        invoice = make_invoice(organization=org, status="partially_paid", items=[ITEM])
    # create, issue, payment: one call each, with the invoice at its new version
    assert spy.call_count == 3
    assert spy.call_args.args[0].pk == invoice.pk
    assert spy.call_args.args[0].version == invoice.version


def test_refresh_signal_is_sent_after_commit_with_the_new_version(
    org, user, received, django_capture_on_commit_callbacks
):
    invoice = make_invoice(organization=org, items=[ITEM])
    received.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    assert received == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert received == [
        {
            "signal": invoice_version_changed,
            "organization": org,
            "invoice_id": invoice.pk,
            "version": invoice.version + 1,
            "status": "issued",
        }
    ]


def test_mark_sent_does_not_refresh_documents(org, user, received, django_capture_on_commit_callbacks):
    invoice = make_invoice(organization=org, status="issued", items=[ITEM])
    received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_mark_sent(organization=org, actor=user, invoice_id=invoice.pk)
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_refresh_runs_on_real_commit_and_never_on_rollback(received):
    from tests.billing.factories import BusinessFactory, CustomerFactory
    from tests.organizations.factories import OrganizationFactory

    org = OrganizationFactory()
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    data = {"business": business.pk, "customer": customer.pk, "items": [ITEM]}

    class BoomError(Exception):
        pass

    with pytest.raises(BoomError), transaction.atomic():
        services.invoice_create(organization=org, actor=None, data=data)
        raise BoomError
    assert received == []
    with organization_scope(org):
        assert not Invoice.objects.exists()

    invoice = services.invoice_create(organization=org, actor=None, data=data)
    assert [(call["invoice_id"], call["version"]) for call in received] == [(invoice.pk, 1)]
