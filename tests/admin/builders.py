"""Rows for every model the admin registers, so each changelist and change page has data.

``ROW_BUILDERS[label](organizations, count)`` adds ``count`` rows of that model spread over
the given organizations (related rows differ per row, so a missing ``select_related`` shows
up as extra queries). Billing data comes from the billing factories and services.
"""

import itertools
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from audit.models import SecurityEvent
from audit.services import record
from billing import services
from billing.models import NumberSequence
from documents.models import CreditNoteDocument, InvoiceDocument, OutboundEmail
from organizations.models import IdempotencyKey, Invite
from organizations.permissions import Role
from organizations.tenancy import all_tenants, organization_scope
from tests.accounts.factories import UserFactory
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

_counter = itertools.count(1)

SMALL_ITEMS = ({"description": "Consulting", "quantity": "1", "unit_price": "100.00", "tax_rate": "20"},)


def _spread(organizations, count):
    return [organizations[i % len(organizations)] for i in range(count)]


def users(organizations, count):
    for _ in range(count):
        UserFactory()


def email_addresses(organizations, count):
    for _ in range(count):
        UserFactory()  # with its verified primary EmailAddress


def authenticators(organizations, count):
    for _ in range(count):
        UserFactory(two_factor=True)  # an authenticator app and recovery codes


def groups(organizations, count):
    for _ in range(count):
        Group.objects.create(name=f"Support group {next(_counter)}")


def orgs(organizations, count):
    for _ in range(count):
        org = OrganizationFactory()
        MembershipFactory(organization=org, role=Role.OWNER)
        CustomerFactory(organization=org)


def memberships(organizations, count):
    for org in _spread(organizations, count):
        MembershipFactory(organization=org)


def invites(organizations, count):
    for org in _spread(organizations, count):
        inviter = MembershipFactory(organization=org, role=Role.ADMIN).user
        _raw, token_hash = Invite.new_token()
        with organization_scope(org):
            Invite.objects.create(
                organization=org,
                email=f"invitee{next(_counter)}@example.com",
                role=Role.MEMBER,
                token_hash=token_hash,
                invited_by=inviter,
                expires_at=timezone.now() + timedelta(days=7),
            )


def api_keys(organizations, count):
    for org in _spread(organizations, count):
        make_api_key(org, name=f"key {next(_counter)}", created_by=UserFactory())


def idempotency_keys(organizations, count):
    for org in _spread(organizations, count):
        api_key, _raw = make_api_key(org)
        with organization_scope(org):
            IdempotencyKey.objects.create(
                organization=org, api_key=api_key, key=f"idem-{next(_counter)}", fingerprint="0" * 64
            )


def audit_entries(organizations, count):
    for org in _spread(organizations, count):
        actor = UserFactory()
        with organization_scope(org):
            record(organization=org, actor=actor, action="customer.updated", target=org)


def audit_chain_heads(organizations, count):
    for _ in range(count):
        org = OrganizationFactory()
        with organization_scope(org):
            record(organization=org, actor=None, action="organization.created")


def security_events(organizations, count):
    for _ in range(count):
        user = UserFactory()
        SecurityEvent.objects.create(user=user, email=user.email, event=SecurityEvent.Event.LOGIN_FAILED)


def businesses(organizations, count):
    for org in _spread(organizations, count):
        BusinessFactory(organization=org)


def customers(organizations, count):
    for org in _spread(organizations, count):
        CustomerFactory(organization=org)


def invoice_in(organization, *, status="issued", items=SMALL_ITEMS, **kwargs):
    """An invoice made through the billing services (120.00 EUR with the default item)."""
    return make_invoice(organization=organization, items=items, status=status, **kwargs)


def invoices(organizations, count, *, status="issued"):
    made = []
    for org in _spread(organizations, count):
        made.append(
            make_invoice(
                organization=org,
                business=BusinessFactory(organization=org),
                customer=CustomerFactory(organization=org),
                items=SMALL_ITEMS,
                status=status,
            )
        )
    return made


def invoice_items(organizations, count):
    invoices(organizations, count, status="draft")


def payments(organizations, count):
    invoices(organizations, count, status="partially_paid")


def number_sequences(organizations, count):
    for org in _spread(organizations, count):
        business = BusinessFactory(organization=org)
        with organization_scope(org):
            NumberSequence.objects.create(organization=org, business=business, year=2026)


def documents(organizations, count):
    for invoice in invoices(organizations, count, status="draft"):
        with all_tenants():
            # The render hook may already have made this version's row.
            InvoiceDocument.objects.get_or_create(
                organization=invoice.organization, invoice=invoice, invoice_version=invoice.version
            )


def emails(organizations, count):
    for invoice in invoices(organizations, count, status="issued"):
        with organization_scope(invoice.organization):
            OutboundEmail.objects.create(
                organization=invoice.organization,
                invoice=invoice,
                to=["customer@example.com"],
                subject=f"Invoice {invoice.number}",
                body="Hello",
            )


def recurring_invoices(organizations, count):
    for org in _spread(organizations, count):
        services.recurring_invoice_create(
            organization=org,
            actor=None,
            data={
                "business": str(BusinessFactory(organization=org).pk),
                "customer": str(CustomerFactory(organization=org).pk),
                "frequency": "monthly",
                "start_date": "2026-01-01",
                "items": list(SMALL_ITEMS),
            },
        )


def recurring_runs(organizations, count):
    recurring_invoices(organizations, count)
    services.run_due_recurring_invoices(now=datetime(2026, 1, 2, tzinfo=UTC))


def credit_notes(organizations, count):
    """Issued credit notes (one line each) on issued invoices."""
    notes = []
    for invoice in invoices(organizations, count, status="issued"):
        note = services.credit_note_create(
            organization=invoice.organization,
            actor=None,
            data={"invoice": invoice.pk, "reason": "Rebate", "items": [{**SMALL_ITEMS[0], "unit_price": "10.00"}]},
        )
        notes.append(services.credit_note_issue(organization=invoice.organization, actor=None, credit_note_id=note.pk))
    return notes


def credit_note_documents(organizations, count):
    for note in credit_notes(organizations, count):
        with all_tenants():
            # The issue hook may already have made this version's row.
            CreditNoteDocument.objects.get_or_create(
                organization=note.organization, credit_note=note, credit_note_version=note.version
            )


def reminders(organizations, count):
    """Reminder schedules whose step is due at once on issued invoices, and the reminders a
    run queues for them."""
    for invoice in invoices(organizations, count, status="issued"):
        services.reminder_schedule_set(
            organization=invoice.organization,
            actor=None,
            business_id=invoice.business_id,
            steps=[{"offset_days": -365}],
        )
    services.run_due_reminders()


ROW_BUILDERS = {
    "auth.group": groups,
    "account.emailaddress": email_addresses,
    "accounts.user": users,
    "mfa.authenticator": authenticators,
    "organizations.organization": orgs,
    "organizations.membership": memberships,
    "organizations.invite": invites,
    "organizations.apikey": api_keys,
    "organizations.idempotencykey": idempotency_keys,
    "audit.auditentry": audit_entries,
    "audit.auditchainhead": audit_chain_heads,
    "audit.securityevent": security_events,
    "billing.business": businesses,
    "billing.customer": customers,
    "billing.invoice": invoices,
    "billing.invoiceitem": invoice_items,
    "billing.payment": payments,
    "billing.numbersequence": number_sequences,
    "billing.recurringinvoice": recurring_invoices,
    "billing.recurringrun": recurring_runs,
    "billing.creditnote": credit_notes,
    "documents.invoicedocument": documents,
    "documents.outboundemail": emails,
    "documents.creditnotedocument": credit_note_documents,
}

# Tenant models the admin shows only inline on their parent's page: their parent's builder
# makes them (the row-level security tests need rows in every tenant table).
INLINE_ROW_BUILDERS = {
    "billing.creditnoteitem": credit_notes,
    "billing.recurringinvoiceline": recurring_invoices,
    "billing.reminderstep": reminders,
    "billing.paymentreminder": reminders,
}
