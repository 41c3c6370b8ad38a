"""The invoice list's search (numbers, customers and amounts, live with htmx), sortable
columns, CSV export of the filtered list, and "Duplicate" on an invoice."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from billing import selectors, views
from billing.models import Invoice, InvoiceStatus
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.webclient import ROLES, WRITERS, count_queries, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db


def one_line(price, description="Work"):
    return [{"description": description, "quantity": "1", "unit_price": price, "tax_rate": "0"}]


@pytest.fixture
def parties(org):
    return BusinessFactory(organization=org, payment_terms_days=14), CustomerFactory(organization=org, name="Wayne")


def listed(response):
    return [invoice.pk for invoice in response.context["page_obj"].object_list]


@pytest.mark.parametrize("role", ROLES)
def test_the_bulk_actions_offered_follow_the_role(client, org, parties, role):
    make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
    log_in(client, org, role)
    content = client.get(org_url("invoice_list", org)).content.decode()
    assert org_url("invoice_bulk_pdf", org) in content
    assert org_url("invoice_export", org) in content
    assert (org_url("invoice_bulk_send", org) in content) == (role in WRITERS)


class TestAmountSearch:
    @pytest.mark.parametrize(
        ("text", "amount"),
        [
            ("500", Decimal("500")),
            ("500.00", Decimal("500.00")),
            (" 1,200.50 ", Decimal("1200.50")),
            ("1,200", Decimal("1200")),
            ("1.200,50", Decimal("1200.50")),
            ("500,5", Decimal("500.5")),
            ("INV-0001", None),
            ("5e3", None),
            ("١٢", None),  # Arabic-Indic digits are not an amount
            ("1,2,3", None),
            ("9" * 25, None),
        ],
    )
    def test_what_reads_as_an_amount(self, text, amount):
        assert selectors.search_amount(text) == amount

    def test_an_amount_finds_the_invoices_with_that_total(self, client, org, parties):
        business, customer = parties
        five_hundred = make_invoice(organization=org, business=business, customer=customer, items=one_line("500"))
        make_invoice(organization=org, business=business, customer=customer, items=one_line("50"))
        make_invoice(organization=org, business=business, customer=customer, items=one_line("5000"))
        log_in(client, org)
        for text in ("500", "500.00", "500,00"):
            assert listed(client.get(org_url("invoice_list", org), {"q": text})) == [five_hundred.pk], text

    def test_a_huge_number_is_no_error(self, client, org, parties):
        make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org)
        response = client.get(org_url("invoice_list", org), {"q": "99999999999999999.9999"})
        assert response.status_code == 200 and listed(response) == []


class TestLiveSearch:
    def test_an_htmx_search_gets_only_the_results_and_the_tabs(self, client, org, parties):
        business, customer = parties
        stark = CustomerFactory(organization=org, name="Stark Industries")
        make_invoice(organization=org, business=business, customer=customer)
        found = make_invoice(organization=org, business=business, customer=stark)
        log_in(client, org)
        response = client.get(
            org_url("invoice_list", org), {"q": "stark"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="invoice-results"
        )
        content = response.content.decode()
        assert listed(response) == [found.pk]
        assert 'id="invoice-results"' in content
        assert "<html" not in content and 'id="id_q"' not in content  # the search box is not replaced
        assert 'id="invoice-tabs" aria-label="Invoice status" hx-swap-oob="true"' in content
        assert "q=stark" in content  # the tabs and sort links keep the search

    def test_the_page_wires_the_search_box_for_htmx(self, client, org, parties):
        log_in(client, org)
        content = client.get(org_url("invoice_list", org)).content.decode()
        assert 'hx-trigger="input changed delay:300ms, search"' in content
        assert 'hx-target="#invoice-results"' in content


class TestSorting:
    @pytest.fixture
    def three(self, org, parties):
        business, _ = parties
        names = ("Bravo", "Alpha", "Charlie")
        prices = ("20", "30", "10")
        return [
            make_invoice(
                organization=org,
                business=business,
                customer=CustomerFactory(organization=org, name=name),
                items=one_line(price),
                issue_date=f"2026-0{i + 1}-01",
            )
            for i, (name, price) in enumerate(zip(names, prices, strict=True))
        ]

    @pytest.mark.parametrize(
        ("sort", "order"),
        [
            ("total", [2, 0, 1]),
            ("-total", [1, 0, 2]),
            ("customer", [1, 0, 2]),
            ("-customer", [2, 0, 1]),
            ("issued", [0, 1, 2]),
            ("-issued", [2, 1, 0]),
            ("balance", [2, 0, 1]),
        ],
    )
    def test_columns_sort_both_ways(self, client, org, three, sort, order):
        log_in(client, org)
        response = client.get(org_url("invoice_list", org), {"sort": sort})
        assert listed(response) == [three[i].pk for i in order]

    @pytest.mark.parametrize("sort", ["password", "-organization__name", "customer__name", "", "--total", "pk"])
    def test_anything_else_is_newest_first(self, client, org, three, sort):
        log_in(client, org)
        response = client.get(org_url("invoice_list", org), {"sort": sort})
        assert response.status_code == 200
        assert listed(response) == [invoice.pk for invoice in reversed(three)]

    def test_equal_values_keep_a_stable_order(self, client, org, parties):
        business, customer = parties
        same = [make_invoice(organization=org, business=business, customer=customer) for _ in range(4)]
        log_in(client, org)
        first = listed(client.get(org_url("invoice_list", org), {"sort": "total", "page_size": 10}))
        again = listed(client.get(org_url("invoice_list", org), {"sort": "total", "page_size": 10}))
        assert first == again == [invoice.pk for invoice in reversed(same)]  # ties: newest first

    def test_headers_link_to_the_other_direction_and_say_how_it_is_sorted(self, client, org, three):
        log_in(client, org)
        content = client.get(org_url("invoice_list", org), {"sort": "total", "q": "a"}).content.decode()
        assert 'aria-sort="ascending"' in content and content.count("aria-sort=") == 1
        assert "?sort=-total&amp;q=a" in content or "?q=a&amp;sort=-total" in content
        assert "sort=customer" in content

    def test_sorting_and_searching_cost_no_extra_query(self, client, org, parties):
        business, customer = parties
        for price in ("500", "20", "30"):
            make_invoice(organization=org, business=business, customer=customer, items=one_line(price))
        log_in(client, org)
        url = org_url("invoice_list", org)
        client.get(url)
        counts = []
        for query in ({}, {"sort": "-total"}, {"sort": "customer", "q": "500"}):
            with count_queries() as queries:
                assert client.get(url, query).status_code == 200
            counts.append(len(queries))
        assert counts == [7, 7, 7]  # as before sorting and amount search (README, Performance)


class TestCsvExport:
    def rows(self, response):
        return list(csv.reader(io.StringIO(response.content.decode())))

    @pytest.mark.parametrize("role", ROLES)
    def test_every_role_exports_the_filtered_list(self, client, org, parties, role):
        business, customer = parties
        stark = CustomerFactory(organization=org, name="=HYPERLINK(evil)")
        make_invoice(organization=org, business=business, customer=customer, status="issued")
        drafted = make_invoice(organization=org, business=business, customer=stark, items=one_line("12.5"))
        log_in(client, org, role)
        response = client.get(org_url("invoice_export", org), {"status": "draft", "sort": "total"})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        header, *rows = self.rows(response)
        assert header == list(views.EXPORT_COLUMNS)
        assert len(rows) == 1
        row = dict(zip(header, rows[0], strict=True))
        assert row["status"] == "Draft" and row["number"] == ""
        assert row["customer"] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet
        assert row["total"] == "12.50" and row["issue_date"] == drafted.issue_date.isoformat()

    def test_it_holds_every_page_of_the_list_and_only_this_organizations(self, client, org, parties, other_org):
        for _ in range(12):
            make_invoice(organization=org, business=parties[0], customer=parties[1], items=[])
        make_invoice(organization=other_org)
        log_in(client, org)
        _, *rows = self.rows(client.get(org_url("invoice_export", org), {"page_size": 10, "page": 2}))
        assert len(rows) == 12

    def test_above_the_limit_it_asks_to_narrow_the_filters(self, client, org, parties, monkeypatch):
        monkeypatch.setattr(views, "EXPORT_LIMIT", 2)
        for _ in range(3):
            make_invoice(organization=org, business=parties[0], customer=parties[1], items=[])
        log_in(client, org)
        response = client.get(org_url("invoice_export", org), {"q": "Wayne"}, follow=True)
        assert response.redirect_chain[-1][0] == org_url("invoice_list", org) + "?q=Wayne"
        assert "narrow the filters" in response.content.decode()
        ok = client.get(org_url("invoice_export", org), {"q": "nobody"})
        assert ok.status_code == 200 and len(self.rows(ok)) == 1

    def test_outsider_gets_404(self, client, org):
        log_in_outsider(client)
        assert client.get(org_url("invoice_export", org)).status_code == 404


class TestDuplicate:
    @pytest.mark.parametrize("role", ROLES)
    def test_role_matrix(self, client, org, parties, role, audit_entries):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="paid")
        log_in(client, org, role)
        detail = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
        url = org_url("invoice_duplicate", org, invoice_id=invoice.pk)
        assert (url in detail) == (role in WRITERS)
        response = client.post(url)
        with organization_scope(org):
            copies = list(Invoice.objects.filter(organization=org).exclude(pk=invoice.pk))
        if role in WRITERS:
            [copy] = copies
            assert response.status_code == 302
            assert response["Location"] == org_url("invoice_edit", org, invoice_id=copy.pk)
            assert copy.status == InvoiceStatus.DRAFT
        else:
            assert response.status_code == 403 and copies == []

    def test_the_copy_has_the_lines_parties_discount_and_notes_and_new_dates(self, client, org, parties):
        business, customer = parties
        items = [
            {"description": "Design", "quantity": "12.5", "unit_price": "80", "tax_rate": "20"},
            {"description": "Hosting", "quantity": "1", "unit_price": "49.99", "tax_rate": "0"},
        ]
        source = make_invoice(
            organization=org,
            business=business,
            customer=customer,
            items=items,
            status="void",
            issue_date="2026-01-05",
            due_date="2026-01-10",
            discount_type="percent",
            discount_value="10",
            notes="Thanks",
            terms="Net 14",
            currency="USD",
        )
        user = log_in(client, org)
        client.post(org_url("invoice_duplicate", org, invoice_id=source.pk))
        with organization_scope(org):
            copy = Invoice.objects.exclude(pk=source.pk).get()
            lines = list(copy.items.order_by("position").values_list("description", "quantity", "unit_price"))
        assert lines == [("Design", Decimal("12.5"), Decimal("80")), ("Hosting", Decimal("1"), Decimal("49.99"))]
        assert (copy.business_id, copy.customer_id, copy.currency) == (business.pk, customer.pk, "USD")
        assert (copy.discount_type, copy.discount_value, copy.notes, copy.terms) == ("percent", 10, "Thanks", "Net 14")
        assert (copy.total, copy.number, copy.created_by_user_id) == (source.total, None, user.pk)
        today = org.local_today()
        assert (copy.issue_date, copy.due_date) == (today, today + timedelta(days=14))

    def test_it_is_audited_with_the_invoice_it_copies(self, client, org, parties, audit_entries):
        source = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        user = log_in(client, org)
        client.post(org_url("invoice_duplicate", org, invoice_id=source.pk))
        entry = audit_entries(action="invoice.created")[-1]
        assert entry.changes["duplicated_from"] == [None, source.number]
        assert entry.actor_user_id == user.pk and entry.target_id != str(source.pk)

    def test_an_archived_customer_is_explained(self, client, org, parties):
        business, customer = parties
        source = make_invoice(organization=org, business=business, customer=customer)
        with organization_scope(org):
            customer.archived = True
            customer.save(update_fields=["archived"])
        log_in(client, org)
        response = client.post(org_url("invoice_duplicate", org, invoice_id=source.pk), follow=True)
        assert "archived" in response.content.decode()
        with organization_scope(org):
            assert Invoice.objects.count() == 1

    def test_outsider_gets_404(self, client, org, parties):
        source = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in_outsider(client)
        assert client.post(org_url("invoice_duplicate", org, invoice_id=source.pk)).status_code == 404
        log_in(client, org, Role.OWNER)
        assert client.get(org_url("invoice_duplicate", org, invoice_id=source.pk)).status_code == 405
