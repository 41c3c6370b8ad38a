import pytest

from organizations.permissions import Role
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def org(db):
    return OrganizationFactory()


@pytest.fixture
def member(org):
    return MembershipFactory(organization=org, role=Role.MEMBER).user


@pytest.fixture
def business(org):
    return BusinessFactory(organization=org, name="Acme Studio", email="billing@acme.example")


@pytest.fixture
def customer(org):
    return CustomerFactory(organization=org, name="Zoë Ελένη Дмитрий", email="ap@customer.example")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a block and then its after-commit callbacks (and the ones those add), as a real
    commit would: ``with commit(): services.invoice_issue(...)``."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def issued(org, business, customer, member, commit):
    """An issued invoice whose after-commit work (the PDF render) has run."""
    with commit():
        return make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")


@pytest.fixture
def full_note(org, commit):
    """(invoice, credit note) of a German invoice with the data of every e-invoice format, the
    credit note's files rendered."""
    from tests.documents.helpers import full_parties, issue_note

    business, customer = full_parties(org)
    return issue_note(org, commit=commit, business=business, customer=customer)
