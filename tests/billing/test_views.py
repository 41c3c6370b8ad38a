"""The dashboard: figures per currency, the 12-month chart, activity, invoices to chase,
first-steps empty state, roles, outsiders, and a query count that does not grow with data."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from billing import services
from billing.models import Invoice, InvoiceStatus
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.webclient import ROLES, count_queries, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db


def dashboard(client, org):
    response = client.get(org_url("dashboard", org))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("role", ROLES)
def test_it_works_for_every_role(client, org, role):
    log_in(client, org, role)
    response = dashboard(client, org)
    assert b"Add a business" in response.content


def test_outsider_gets_404(client, org):
    log_in_outsider(client)
    assert client.get(org_url("dashboard", org)).status_code == 404


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(org_url("dashboard", org))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


class TestFirstSteps:
    def test_new_organization_is_told_to_add_a_business_first(self, client, org):
        log_in(client, org, Role.OWNER)
        content = dashboard(client, org).content.decode()
        assert "Get started" in content
        assert org_url("business_create", org) in content

    def test_member_is_told_who_can_add_the_business(self, client, org):
        log_in(client, org, Role.MEMBER)
        content = dashboard(client, org).content.decode()
        assert org_url("business_create", org) not in content
        assert "An owner or admin can add it." in content

    def test_with_business_and_customer_it_offers_the_first_invoice(self, client, org):
        BusinessFactory(organization=org)
        CustomerFactory(organization=org)
        log_in(client, org, Role.MEMBER)
        content = dashboard(client, org).content.decode()
        assert "Create an invoice" in content
        assert org_url("invoice_create", org) in content

    def test_viewer_gets_no_create_links(self, client, org):
        BusinessFactory(organization=org)
        CustomerFactory(organization=org)
        log_in(client, org, Role.VIEWER)
        content = dashboard(client, org).content.decode()
        assert org_url("invoice_create", org) not in content

    def test_disappears_once_there_is_an_invoice(self, client, org):
        make_invoice(organization=org)
        log_in(client, org)
        assert b"Get started" not in dashboard(client, org).content


class TestFigures:
    def test_outstanding_overdue_and_paid_per_currency(self, client, org):
        business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
        today = org.local_today()
        items = [{"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}]

        def invoice(status, currency="EUR", overdue=False):
            dates = {}
            if overdue:
                dates = {"issue_date": str(today - timedelta(days=40)), "due_date": str(today - timedelta(days=5))}
            return make_invoice(
                organization=org,
                business=business,
                customer=customer,
                status=status,
                currency=currency,
                items=items,
                **dates,
            )

        invoice("issued")  # 100 outstanding
        invoice("issued", overdue=True)  # 100 outstanding, overdue
        invoice("partially_paid", overdue=True)  # 66.67 outstanding, overdue; 33.33 paid
        invoice("paid")  # 100 paid
        invoice("draft")  # not counted
        invoice("void")  # not counted
        invoice("issued", currency="USD")  # 100 USD outstanding
        log_in(client, org)
        response = dashboard(client, org)
        figures = {row["currency"]: row for row in response.context["figures"]}
        assert [row["currency"] for row in response.context["figures"]] == ["EUR", "USD"]
        eur = figures["EUR"]
        assert eur["outstanding"] == Decimal("266.67")
        assert (eur["overdue_count"], eur["overdue_amount"]) == (2, Decimal("166.67"))
        assert eur["paid_last_30_days"] == Decimal("133.33")
        assert figures["USD"]["outstanding"] == Decimal("100.00")
        assert figures["USD"]["paid_last_30_days"] == 0
        content = response.content.decode()
        assert "€266.67" in content and "€166.67" in content and "$100.00" in content

    def test_overdue_invoices_to_chase(self, client, org):
        today = org.local_today()
        business = BusinessFactory(organization=org)
        late = make_invoice(
            organization=org,
            business=business,
            status="issued",
            issue_date=str(today - timedelta(days=60)),
            due_date=str(today - timedelta(days=30)),
        )
        on_time = make_invoice(organization=org, business=business, status="issued")
        log_in(client, org)
        response = dashboard(client, org)
        assert [i.pk for i in response.context["overdue_invoices"]] == [late.pk]
        assert late.number.encode() in response.content
        assert on_time.number.encode() not in response.content.split(b"Recent activity")[0].split(b"to chase")[1]

    def test_chart_of_invoiced_vs_paid_for_twelve_months(self, client, org):
        make_invoice(organization=org, status="paid")
        log_in(client, org)
        response = dashboard(client, org)
        [chart] = response.context["charts"]
        assert chart["currency"] == "EUR" and len(chart["bars"]) == 12
        this_month = chart["bars"][-1]
        with organization_scope(org):
            invoice = Invoice.objects.get()
        assert this_month["invoiced"] == invoice.total and this_month["paid"] == invoice.total
        assert this_month["h_invoiced"] == this_month["h_paid"] > 0
        content = response.content.decode()
        assert '<svg viewBox="0 0 720 240" role="img"' in content
        assert content.count('class="bar invoiced"') == 12
        assert "Show the numbers" in content  # the same data as a table, for screen readers

    def test_recent_activity_shows_the_newest_ten(self, client, org):
        business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
        for _ in range(12):
            make_invoice(organization=org, business=business, customer=customer)
        log_in(client, org)
        response = dashboard(client, org)
        activity = response.context["activity"]
        assert len(activity) == 10
        assert [entry.sequence for entry in activity] == sorted((e.sequence for e in activity), reverse=True)
        assert activity[0].action == "invoice.created"

    def test_other_organizations_do_not_count(self, client, org, other_org):
        make_invoice(organization=other_org, status="issued")
        log_in(client, org)
        response = dashboard(client, org)
        assert response.context["figures"] == []
        assert response.context["activity"] == []


# Session, user, membership with its organization (3); businesses, customers, newest invoice (3);
# figures (2); chart months (2); overdue invoices to chase (1); recent activity (1); the
# reminders of the next 7 days: the schedules' steps, then the invoices they fall on (2); the
# organization switcher's memberships (1).
DASHBOARD_QUERIES = 15


def test_query_count_is_exact_and_the_same_with_ten_thousand_invoices(client, org):
    """Aggregation happens in SQL: the number of queries does not depend on the data."""
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    make_invoice(organization=org, business=business, customer=customer, status="paid")
    steps = [{"offset_days": -3}, {"offset_days": 7}, {"offset_days": 30}]
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    log_in(client, org)
    client.get(org_url("dashboard", org))
    with count_queries() as few:
        dashboard(client, org)
    today = org.local_today()
    rows = []
    for i in range(10_000):
        status = InvoiceStatus.ISSUED if i % 3 else InvoiceStatus.DRAFT
        rows.append(
            Invoice(
                organization=org,
                business=business,
                customer=customer,
                number=f"BULK-{i}" if status != InvoiceStatus.DRAFT else None,
                status=status,
                currency="EUR" if i % 2 else "USD",
                issue_date=today - timedelta(days=i % 365),
                due_date=today - timedelta(days=i % 365) + timedelta(days=30),
                subtotal=Decimal("10.00"),
                total=Decimal("10.00"),
                balance_due=Decimal("10.00"),
            )
        )
    with organization_scope(org):
        Invoice.objects.bulk_create(rows, batch_size=1000)
    with count_queries() as many:
        response = dashboard(client, org)
    figures = {row["currency"]: row for row in response.context["figures"]}
    assert figures["EUR"]["overdue_count"] > 0 and figures["USD"]["outstanding"] > 0
    assert len(response.context["overdue_invoices"]) == 10
    assert len(response.context["upcoming_reminders"]) == 10  # of the thousands due this week
    assert len(few) == len(many) == DASHBOARD_QUERIES, [q["sql"][:120] for q in many.captured_queries]


@pytest.mark.parametrize("role", ROLES)
def test_main_navigation_offers_only_what_the_role_may_open(client, org, role):
    log_in(client, org, role)
    content = dashboard(client, org).content.decode()
    nav = content.split('aria-label="Main"')[1].split("</nav>")[0]
    for name in ("invoice_list", "customer_list", "business_list"):
        assert f'href="{org_url(name, org)}"' in nav
    assert 'aria-current="page">Dashboard' in nav
    managers = role in (Role.OWNER, Role.ADMIN)
    assert (f'href="{org_url("api_key_list", org)}"' in nav) == managers
    assert (f'href="{org_url("organization_settings", org)}"' in nav) == managers
    # Every link offered opens for this role.
    for href in set(re.findall(r'href="([^"]+)"', nav)):
        assert client.get(href).status_code == 200, href
