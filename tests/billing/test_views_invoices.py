"""Invoice pages: list (tabs, search, filters, pagination), create/edit with the line-item
editor and its server-side totals endpoint, detail, issue/void/delete/send."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import services, validation
from billing.models import Invoice, InvoiceStatus
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, assert_stored_totals, make_invoice
from tests.billing.webclient import MANAGERS, ROLES, WRITERS, count_queries, log_in, log_in_outsider, org_url
from tests.organizations.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def items_post(*rows):
    data = {}
    for i, (description, quantity, unit_price, tax_rate) in enumerate(rows):
        data[f"items-{i}-description"] = description
        data[f"items-{i}-quantity"] = quantity
        data[f"items-{i}-unit_price"] = unit_price
        data[f"items-{i}-tax_rate"] = tax_rate
    return data


def invoice_post(business, customer, *rows, **overrides):
    data = {
        "business": str(business.pk),
        "customer": str(customer.pk),
        "currency": "EUR",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "discount_type": "none",
        "discount_value": "",
        "notes": "Thanks",
        "terms": "",
    }
    data.update(items_post(*(rows or [("Design", "2", "100.00", "20")])))
    data.update(overrides)
    return data


def reload(invoice):
    with organization_scope(invoice.organization):
        return Invoice.objects.get(pk=invoice.pk)


@pytest.fixture
def parties(org):
    return BusinessFactory(organization=org), CustomerFactory(organization=org, name="Wayne Enterprises")


class TestList:
    @pytest.mark.parametrize("role", ROLES)
    def test_it_works_for_every_role(self, client, org, parties, role):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org, role)
        response = client.get(org_url("invoice_list", org))
        assert response.status_code == 200
        assert invoice.number.encode() in response.content
        assert (org_url("invoice_create", org).encode() in response.content) == (role in WRITERS)

    @pytest.mark.parametrize(
        ("tab", "expected"),
        [
            ("all", {"draft", "issued", "partially_paid", "paid", "void", "overdue"}),
            ("draft", {"draft"}),
            ("issued", {"issued", "overdue"}),
            ("partially_paid", {"partially_paid"}),
            ("paid", {"paid"}),
            ("void", {"void"}),
            ("overdue", {"overdue"}),
        ],
    )
    def test_status_tabs(self, client, org, parties, tab, expected):
        business, customer = parties
        made = {}
        for status in ("draft", "issued", "partially_paid", "paid", "void"):
            made[status] = make_invoice(organization=org, business=business, customer=customer, status=status)
        today = org.local_today()
        made["overdue"] = make_invoice(
            organization=org,
            business=business,
            customer=customer,
            status="issued",
            issue_date=str(today - timedelta(days=40)),
            due_date=str(today - timedelta(days=10)),
        )
        log_in(client, org)
        response = client.get(org_url("invoice_list", org), {"status": tab})
        shown = {invoice.pk for invoice in response.context["page_obj"].object_list}
        assert shown == {made[key].pk for key in expected}
        assert f'aria-current="page">{dict(response.context["tabs"])[tab]}<'.encode() in response.content

    def test_unknown_tab_falls_back_to_all(self, client, org, parties):
        make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org)
        response = client.get(org_url("invoice_list", org), {"status": "bogus"})
        assert response.status_code == 200
        assert response.context["tab"] == "all"
        assert len(response.context["page_obj"].object_list) == 1

    def test_search_by_number_and_customer_name(self, client, org, parties):
        business, wayne = parties
        stark = CustomerFactory(organization=org, name="Stark Industries")
        first = make_invoice(organization=org, business=business, customer=wayne, status="issued")
        second = make_invoice(organization=org, business=business, customer=stark, status="issued")
        log_in(client, org)
        by_name = client.get(org_url("invoice_list", org), {"q": "stark"}).context["page_obj"].object_list
        by_number = client.get(org_url("invoice_list", org), {"q": first.number}).context["page_obj"].object_list
        assert [i.pk for i in by_name] == [second.pk]
        assert [i.pk for i in by_number] == [first.pk]

    def test_customer_and_date_filters(self, client, org, parties):
        business, wayne = parties
        stark = CustomerFactory(organization=org, name="Stark Industries")
        old = make_invoice(organization=org, business=business, customer=wayne, issue_date="2026-01-10")
        new = make_invoice(organization=org, business=business, customer=stark, issue_date="2026-06-10")
        log_in(client, org)
        url = org_url("invoice_list", org)
        by_customer = client.get(url, {"customer": str(stark.pk)}).context["page_obj"].object_list
        after = client.get(url, {"issue_date_after": "2026-03-01"}).context["page_obj"].object_list
        before = client.get(url, {"issue_date_before": "2026-03-01"}).context["page_obj"].object_list
        assert [i.pk for i in by_customer] == [new.pk]
        assert [i.pk for i in after] == [new.pk]
        assert [i.pk for i in before] == [old.pk]

    def test_bad_filter_values_do_not_break_the_page(self, client, org, parties, other_org):
        make_invoice(organization=org, business=parties[0], customer=parties[1])
        foreign = CustomerFactory(organization=other_org)
        log_in(client, org)
        for params in ({"customer": str(foreign.pk)}, {"customer": "nope"}, {"issue_date_after": "31/31/2026"}):
            response = client.get(org_url("invoice_list", org), params)
            assert response.status_code == 200
        # Another organization's customer is not a valid choice: it filters nothing in.
        response = client.get(org_url("invoice_list", org), {"customer": str(foreign.pk)})
        assert response.context["filters"].errors

    def test_only_this_organizations_invoices(self, client, org, parties, other_org):
        mine = make_invoice(organization=org, business=parties[0], customer=parties[1])
        make_invoice(organization=other_org)
        log_in(client, org)
        shown = client.get(org_url("invoice_list", org)).context["page_obj"].object_list
        assert [i.pk for i in shown] == [mine.pk]

    def test_pagination(self, client, org, parties):
        for _ in range(27):
            make_invoice(organization=org, business=parties[0], customer=parties[1], items=[])
        log_in(client, org)
        second = client.get(org_url("invoice_list", org), {"page": 2, "status": "draft"})
        assert len(second.context["page_obj"].object_list) == 2
        assert b"status=draft" in second.content  # page links keep the filters

    def test_constant_number_of_queries(self, client, org, django_assert_max_num_queries):
        log_in(client, org)
        url = org_url("invoice_list", org)
        client.get(url)
        counts = []
        for total in (5, 50):
            with organization_scope(org):
                have = Invoice.objects.count()
            for i in range(total - have):
                # Different businesses and customers so select_related is what keeps it constant.
                make_invoice(organization=org, status="issued" if i % 2 else "draft")
            with django_assert_max_num_queries(10), count_queries() as queries:
                response = client.get(url, {"page_size": 50})
            assert response.status_code == 200
            assert len(response.context["page_obj"].object_list) == total
            counts.append(len(queries))
        assert counts[0] == counts[1]

    @pytest.mark.parametrize("query", [{}, {"status": "draft"}, {"q": "Wayne"}])
    def test_the_list_counts_its_rows_once(self, client, org, parties, other_org, query):
        """Filtered or not, one COUNT of the organization's matching rows, whatever the other
        organization holds."""
        for status in ("draft", "issued", "draft"):
            make_invoice(organization=org, business=parties[0], customer=parties[1], status=status)
        make_invoice(organization=other_org)
        log_in(client, org)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(org_url("invoice_list", org), {"page_size": 10, **query})
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        assert len(counts) == 1, counts
        expected = 2 if query.get("status") == "draft" else 3
        assert response.context["page_obj"].paginator.count == expected
        assert len(response.context["page_obj"].object_list) == expected

    def test_empty_state_guides_to_customers_first(self, client, org):
        log_in(client, org)
        response = client.get(org_url("invoice_list", org))
        assert b"Add a customer first" in response.content

    def test_outsider_gets_404(self, client, org):
        log_in_outsider(client)
        assert client.get(org_url("invoice_list", org)).status_code == 404


class TestCreate:
    @pytest.mark.parametrize("role", ROLES)
    def test_role_matrix(self, client, org, parties, role):
        business, customer = parties
        log_in(client, org, role)
        get = client.get(org_url("invoice_create", org))
        post = client.post(org_url("invoice_create", org), invoice_post(business, customer))
        with organization_scope(org):
            created = Invoice.objects.filter(organization=org).first()
        if role in WRITERS:
            assert get.status_code == 200
            assert post.status_code == 302
            assert created is not None and created.status == InvoiceStatus.DRAFT
            assert post["Location"] == org_url("invoice_detail", org, invoice_id=created.pk)
        else:
            assert (get.status_code, post.status_code) == (403, 403)
            assert created is None

    def test_three_lines_are_saved_in_order_with_totals_from_calc(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        client.post(
            org_url("invoice_create", org),
            invoice_post(
                business,
                customer,
                ("Design", "12.5", "80", "20"),
                ("Hosting", "1", "49.99", "0"),
                ("Support", "3", "33.333", "7"),
                discount_type="percent",
                discount_value="10",
            ),
        )
        with organization_scope(org):
            invoice = Invoice.objects.get()
            descriptions = list(invoice.items.order_by("position").values_list("description", flat=True))
        assert descriptions == ["Design", "Hosting", "Support"]
        assert invoice.subtotal == Decimal("1149.99")
        assert_stored_totals(invoice)

    def test_per_item_errors_are_shown_on_the_row_and_nothing_typed_is_lost(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_create", org),
            invoice_post(business, customer, ("Good line", "1", "10", "20"), ("Bad line", "1e5", "10.12345", "20")),
        )
        assert response.status_code == 400
        rows = response.context["rows"]
        assert rows[0].errors == {}
        assert "quantity" in rows[1].errors and "unit_price" in rows[1].errors
        assert "exponent" in rows[1].errors["quantity"][0]
        content = response.content.decode()
        assert 'id="items-1-quantity-error"' in content
        assert 'value="1e5"' in content and 'value="10.12345"' in content and "Bad line" in content
        with organization_scope(org):
            assert not Invoice.objects.exists()

    def test_header_errors_are_tied_to_fields(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_create", org),
            invoice_post(business, customer, issue_date="2026-12-10", due_date="2026-12-01", currency="XXX1"),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "currency" in errors
        response = client.post(
            org_url("invoice_create", org),
            invoice_post(business, customer, issue_date="2026-12-10", due_date="2026-12-01"),
        )
        assert "due_date" in response.context["form"].errors

    def test_amount_discount_above_subtotal_is_refused_on_the_field(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_create", org),
            invoice_post(business, customer, ("A", "1", "10", "0"), discount_type="amount", discount_value="50"),
        )
        assert response.status_code == 400
        assert "discount_value" in response.context["form"].errors

    def test_another_organizations_customer_is_refused(self, client, org, parties, other_org):
        business, _ = parties
        foreign = CustomerFactory(organization=other_org)
        log_in(client, org)
        response = client.post(org_url("invoice_create", org), invoice_post(business, foreign))
        assert response.status_code == 400
        assert "customer" in response.context["form"].errors
        with organization_scope(org):
            assert not Invoice.objects.exists()

    def test_editor_buttons_without_javascript_change_rows_and_save_nothing(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        url = org_url("invoice_create", org)
        rows = [("First", "1", "10", "0"), ("Second", "2", "20", "0"), ("Third", "3", "30", "0")]
        added = client.post(url, invoice_post(business, customer, *rows, editor_action="add"))
        moved = client.post(url, invoice_post(business, customer, *rows, editor_action="up-2"))
        removed = client.post(url, invoice_post(business, customer, *rows, editor_action="remove-0"))
        assert len(added.context["rows"]) == 4
        assert [r.values["description"] for r in moved.context["rows"]] == ["First", "Third", "Second"]
        assert [r.values["description"] for r in removed.context["rows"]] == ["Second", "Third"]
        assert not added.context["form"].errors
        with organization_scope(org):
            assert not Invoice.objects.exists()

    def test_page_explains_that_a_business_is_needed(self, client, org):
        CustomerFactory(organization=org)
        log_in(client, org)
        response = client.get(org_url("invoice_create", org))
        assert b"Add a business first" in response.content

    def test_customer_preselected_from_query(self, client, org, parties):
        log_in(client, org)
        response = client.get(org_url("invoice_create", org), {"customer": str(parties[1].pk)})
        assert response.context["form"].initial["customer"] == str(parties[1].pk)


class TestEditorEndpoint:
    """The htmx endpoint: the server computes totals; the browser never does money math."""

    def test_returns_totals_and_tax_breakdown_computed_by_calc(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_editor", org),
            invoice_post(
                business, customer, ("A", "12.5", "80", "20"), ("B", "1", "49.99", "0"), ("C", "3", "33.333", "7")
            ),
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        totals = response.context["preview"]["totals"]
        assert totals.subtotal == Decimal("1149.99")
        assert [(row.rate, row.tax_amount) for row in totals.tax_breakdown] == [
            (Decimal("0.000"), Decimal("0.00")),
            (Decimal("7.000"), Decimal("7.00")),
            (Decimal("20.000"), Decimal("200.00")),
        ]
        assert totals.total == Decimal("1356.99")
        content = response.content.decode()
        assert 'id="invoice-totals"' in content
        assert "€1,356.99" in content
        # Line amounts are swapped in out of band.
        assert 'id="line-net-0"' in content and 'hx-swap-oob="true"' in content and "€1,000.00" in content

    def test_currency_minor_units(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_editor", org),
            invoice_post(business, customer, ("A", "3", "333.5", "0"), currency="JPY"),
        )
        assert response.context["preview"]["totals"].total == Decimal("1001")
        assert "¥1,001" in response.content.decode()

    def test_lines_that_do_not_parse_are_named_not_counted(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_editor", org),
            invoice_post(business, customer, ("A", "2", "10", "0"), ("B", "x", "5", "0")),
        )
        assert response.context["preview"]["totals"].total == Decimal("20.00")
        assert "Line 2 is not counted yet" in response.content.decode()

    def test_discount_above_subtotal_is_explained(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_editor", org),
            invoice_post(business, customer, ("A", "1", "10", "0"), discount_type="amount", discount_value="99"),
        )
        assert response.status_code == 200
        assert "larger than the subtotal" in response.content.decode()

    def test_editor_action_returns_the_whole_editor(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_editor", org),
            invoice_post(business, customer, ("A", "1", "10", "0"), ("B", "1", "5", "0"), editor_action="down-0"),
            HTTP_HX_REQUEST="true",
        )
        content = response.content.decode()
        assert 'id="item-editor"' in content
        assert content.index(">B</textarea>") < content.index(">A</textarea>")

    def test_viewer_and_outsider_cannot_use_it(self, client, org, parties):
        business, customer = parties
        log_in(client, org, Role.VIEWER)
        assert client.post(org_url("invoice_editor", org), invoice_post(business, customer)).status_code == 403
        log_in_outsider(client)
        assert client.post(org_url("invoice_editor", org), invoice_post(business, customer)).status_code == 404

    def test_never_saves(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        client.post(org_url("invoice_editor", org), invoice_post(business, customer))
        with organization_scope(org):
            assert not Invoice.objects.exists()


class TestEditorDefaultsAndFreshLines:
    """The dates start filled with the service's defaults; a line left as it started (the
    empty one the editor keeps at the end) is not a line; the editor's buttons count it."""

    def test_a_new_invoice_starts_with_the_default_dates(self, client, org):
        business = BusinessFactory(organization=org, payment_terms_days=14)
        CustomerFactory(organization=org)
        log_in(client, org)
        response = client.get(org_url("invoice_create", org))
        today = org.local_today()
        form = response.context["form"]
        assert (form.initial["issue_date"], form.initial["due_date"]) == (today, today + timedelta(days=14))
        content = response.content.decode()
        assert f'name="issue_date" value="{today.isoformat()}"' in content
        assert f'name="due_date" value="{(today + timedelta(days=14)).isoformat()}"' in content
        # The terms of every business, for the script that moves the due date along.
        assert response.context["payment_terms"] == {str(business.pk): 14}
        assert 'id="payment-terms"' in content

    def test_a_fresh_line_left_as_it_started_is_not_saved(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        data = invoice_post(business, customer, ("Design", "2", "100", "20"), ("", "1", "", "20"))
        response = client.post(org_url("invoice_create", org), data)
        assert response.status_code == 302
        with organization_scope(org):
            assert list(Invoice.objects.get().items.values_list("description", flat=True)) == ["Design"]

    def test_a_line_with_something_typed_is_still_checked(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        data = invoice_post(business, customer, ("Design", "2", "100", "20"), ("", "3", "", "20"))
        response = client.post(org_url("invoice_create", org), data)
        assert response.status_code == 400
        assert response.context["rows"][1].errors
        with organization_scope(org):
            assert not Invoice.objects.exists()

    def test_the_editor_buttons_count_blank_lines(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        url = org_url("invoice_editor", org)
        rows = [("A", "1", "10", "0"), ("", "", "", ""), ("C", "1", "30", "0")]
        removed = client.post(url, invoice_post(business, customer, *rows, editor_action="remove-2"))
        assert [r.values["description"] for r in removed.context["rows"]] == ["A", ""]

    def test_add_with_a_fresh_line_at_the_end_adds_no_second_one(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        url = org_url("invoice_editor", org)
        rows = [("A", "1", "10", "7"), ("", "1", "", "7")]
        fresh = client.post(url, invoice_post(business, customer, *rows, editor_action="add"))
        assert [r.values["description"] for r in fresh.context["rows"]] == ["A", ""]
        assert fresh.context["focus_last"]
        typed = client.post(url, invoice_post(business, customer, ("A", "1", "10", "7"), editor_action="add"))
        assert [r.values for r in typed.context["rows"]][1] == {
            "description": "",
            "quantity": "1",
            "unit_price": "",
            "tax_rate": "7",
            "vat_category": "S",  # carried from the line above, like the rate
        }

    def test_line_amounts_go_to_the_lines_they_were_typed_on(self, client, org, parties):
        """A blank line in the middle is left out of the totals, but the amount of the line
        after it still lands on that line's field (its <n> as sent), not on the blank one."""
        business, customer = parties
        log_in(client, org)
        rows = [("A", "1", "10", "0"), ("", "", "", ""), ("C", "1", "30", "0")]
        response = client.post(org_url("invoice_editor", org), invoice_post(business, customer, *rows))
        content = response.content.decode()
        assert 'id="line-net-2" class="num" data-testid="line-net" hx-swap-oob="true">€30.00<' in content
        assert 'id="line-net-1"' not in content


class TestEdit:
    @pytest.mark.parametrize("role", ROLES)
    def test_role_matrix(self, client, org, parties, role):
        business, customer = parties
        invoice = make_invoice(organization=org, business=business, customer=customer)
        log_in(client, org, role)
        url = org_url("invoice_edit", org, invoice_id=invoice.pk)
        get = client.get(url)
        post = client.post(url, invoice_post(business, customer, ("Changed", "1", "5", "0")))
        if role in WRITERS:
            assert get.status_code == 200
            assert post.status_code == 302
            assert reload(invoice).total == Decimal("5.00")
        else:
            assert (get.status_code, post.status_code) == (403, 403)
            assert reload(invoice).total == invoice.total

    def test_form_is_prefilled_with_items(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org)
        response = client.get(org_url("invoice_edit", org, invoice_id=invoice.pk))
        content = response.content.decode()
        assert ">Design work</textarea>" in content and 'value="12.5"' in content and 'value="80"' in content
        assert response.context["preview"]["totals"].total == invoice.total

    @pytest.mark.parametrize("status", ["issued", "partially_paid"])
    def test_an_issued_invoice_is_final_and_the_editor_points_to_credit_notes(self, client, org, parties, status):
        business, customer = parties
        invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
        log_in(client, org)
        url = org_url("invoice_edit", org, invoice_id=invoice.pk)
        assert client.get(url).status_code == 302
        response = client.post(url, invoice_post(business, customer, ("More", "1", "999", "0"), notes="x"), follow=True)
        assert b"credit note" in response.content
        assert (reload(invoice).notes, reload(invoice).total) == (invoice.notes, invoice.total)
        detail = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
        assert ">Edit</a>" not in detail and "Correct…" in detail and "Cancel…" in detail

    @pytest.mark.parametrize("status", ["paid", "void"])
    def test_paid_or_void_invoice_cannot_be_edited(self, client, org, parties, status):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status=status)
        log_in(client, org)
        url = org_url("invoice_edit", org, invoice_id=invoice.pk)
        assert client.get(url).status_code == 302
        response = client.post(url, invoice_post(*parties), follow=True)
        assert b"cannot be edited" in response.content
        assert reload(invoice).version == invoice.version

    def test_another_organizations_invoice_is_404(self, client, org, other_org):
        foreign = make_invoice(organization=other_org)
        log_in(client, org)
        for name in ("invoice_detail", "invoice_edit"):
            assert client.get(org_url(name, org, invoice_id=foreign.pk)).status_code == 404
        for name in ("invoice_edit", "invoice_issue", "invoice_void", "invoice_delete", "invoice_send"):
            assert client.post(org_url(name, org, invoice_id=foreign.pk), {}).status_code == 404
        assert reload(foreign).status == InvoiceStatus.DRAFT


class TestDetail:
    @pytest.mark.parametrize("role", ROLES)
    def test_it_works_and_hides_what_the_role_cannot_do(self, client, org, parties, role):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org, role)
        response = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk))
        assert response.status_code == 200
        content = response.content.decode()
        assert invoice.number in content
        assert "Design work" in content and "Tax 20%" in content
        assert ("Record a payment" in content) == (role in WRITERS)
        assert (org_url("invoice_cancel", org, invoice_id=invoice.pk) in content) == (role in MANAGERS)
        assert (org_url("invoice_correct", org, invoice_id=invoice.pk) in content) == (role in MANAGERS)
        # Issued invoices are final: no Edit and no Void for anyone.
        assert org_url("invoice_edit", org, invoice_id=invoice.pk) not in content
        assert org_url("invoice_void", org, invoice_id=invoice.pk) not in content

    def test_shows_balance_payments_and_history(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="partially_paid")
        log_in(client, org)
        response = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk))
        content = response.content.decode()
        assert len(response.context["payments"]) == 1
        actions = [entry.action for entry in response.context["history"]]
        assert {"invoice.created", "invoice.issued", "payment.recorded"} <= set(actions)
        assert f"€{invoice.balance_due:,.2f}" in content

    def test_draft_offers_issue_and_delete(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org)
        content = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
        assert org_url("invoice_issue", org, invoice_id=invoice.pk) in content
        assert org_url("invoice_delete", org, invoice_id=invoice.pk) in content
        assert "Record a payment" not in content

    def test_constant_number_of_queries(self, client, org, parties, django_assert_max_num_queries):
        from billing import services

        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        user = log_in(client, org)
        url = org_url("invoice_detail", org, invoice_id=invoice.pk)
        client.get(url)
        counts = []
        for _ in range(2):
            for _ in range(3):
                services.payment_record(
                    organization=org, actor=user, invoice_id=invoice.pk, amount="1.00", date=org.local_today()
                )
            with django_assert_max_num_queries(15), count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_outsider_gets_404(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in_outsider(client)
        assert client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).status_code == 404

    @pytest.mark.parametrize("is_staff", [False, True])
    def test_the_version_is_shown_to_support_staff_only(self, client, org, parties, is_staff):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="partially_paid")
        user = log_in(client, org, Role.OWNER)
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
        content = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
        assert ("<dt>Version</dt>" in content) == is_staff
        assert (f'data-testid="invoice-version">{invoice.version}<' in content) == is_staff


class TestActions:
    @pytest.mark.parametrize("role", ROLES)
    def test_issue_role_matrix(self, client, org, parties, role, audit_entries):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org, role)
        response = client.post(org_url("invoice_issue", org, invoice_id=invoice.pk))
        invoice = reload(invoice)
        if role in WRITERS:
            assert response.status_code == 302
            assert invoice.status == InvoiceStatus.ISSUED and invoice.number
            assert audit_entries(action="invoice.issued")
        else:
            assert response.status_code == 403
            assert invoice.status == InvoiceStatus.DRAFT

    def test_issue_conflict_is_explained(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], items=[])
        log_in(client, org)
        response = client.post(org_url("invoice_issue", org, invoice_id=invoice.pk), follow=True)
        assert b"Add at least one item" in response.content
        assert reload(invoice).status == InvoiceStatus.DRAFT

    @pytest.mark.parametrize("role", ROLES)
    def test_cancel_role_matrix(self, client, org, parties, role, audit_entries):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="partially_paid")
        log_in(client, org, role)
        response = client.post(org_url("invoice_cancel", org, invoice_id=invoice.pk), {"reason": "Duplicate"})
        if role in MANAGERS:
            assert response.status_code == 302 and reload(invoice).status == InvoiceStatus.CREDITED
            assert audit_entries(action="invoice.cancelled")
            page = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
            assert "Refund due" in page and "Record refund" in page and "Duplicate" in page
        else:
            assert response.status_code == 403 and reload(invoice).status == InvoiceStatus.PARTIALLY_PAID

    def test_correct_opens_the_new_draft_in_the_editor(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org)
        response = client.post(org_url("invoice_correct", org, invoice_id=invoice.pk), {"reason": "Typo"})
        with organization_scope(org):
            draft = Invoice.objects.get(replaces=invoice)
        assert response.status_code == 302 and response.url == org_url("invoice_edit", org, invoice_id=draft.pk)
        assert reload(invoice).status == InvoiceStatus.CREDITED

    def test_refund_of_a_negative_balance_from_the_invoice_page(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="paid")
        log_in(client, org)
        client.post(org_url("invoice_cancel", org, invoice_id=invoice.pk))
        url = org_url("payment_record", org, invoice_id=invoice.pk)
        today = org.local_today().isoformat()
        data = {"kind": "refund", "date": today, "method": "bank_transfer"}
        too_much = client.post(url, {**data, "amount": str(invoice.total + 1)})
        assert too_much.status_code == 400 and b"owed" in too_much.content
        assert client.post(url, {**data, "amount": str(invoice.total)}).status_code == 302
        after = reload(invoice)
        assert (after.amount_refunded, after.balance_due) == (invoice.total, 0)

    def test_void_of_an_issued_invoice_is_refused_naming_cancel(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org)
        response = client.post(org_url("invoice_void", org, invoice_id=invoice.pk), follow=True)
        assert b"cancel it instead" in response.content
        assert reload(invoice).status == InvoiceStatus.ISSUED

    @pytest.mark.parametrize("role", ROLES)
    def test_delete_draft_role_matrix(self, client, org, parties, role):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org, role)
        response = client.post(org_url("invoice_delete", org, invoice_id=invoice.pk))
        with organization_scope(org):
            exists = Invoice.objects.filter(pk=invoice.pk).exists()
        if role in WRITERS:
            assert response.status_code == 302 and not exists
        else:
            assert response.status_code == 403 and exists

    def test_delete_issued_is_refused(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org)
        response = client.post(org_url("invoice_delete", org, invoice_id=invoice.pk), follow=True)
        assert b"Only a draft can be deleted" in response.content
        assert reload(invoice).status == InvoiceStatus.ISSUED

    def test_actions_refuse_get(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org)
        for name in ("invoice_issue", "invoice_void", "invoice_delete", "invoice_send"):
            assert client.get(org_url(name, org, invoice_id=invoice.pk)).status_code == 405

    def test_send_on_a_draft_is_refused_with_a_message(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1])
        log_in(client, org)
        response = client.post(org_url("invoice_send", org, invoice_id=invoice.pk), follow=True)
        assert response.status_code == 200
        assert reload(invoice).sent_at is None

    def test_viewer_cannot_send(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org, Role.VIEWER)
        assert client.post(org_url("invoice_send", org, invoice_id=invoice.pk)).status_code == 403


class TestSend:
    @pytest.mark.parametrize("role", ROLES)
    def test_send_role_matrix(self, client, org, parties, role, audit_entries):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org, role)
        detail = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
        assert (org_url("invoice_send", org, invoice_id=invoice.pk) in detail) == (role in WRITERS)
        response = client.post(org_url("invoice_send", org, invoice_id=invoice.pk))
        queued = audit_entries(action="invoice.email_queued")
        if role in WRITERS:
            assert response.status_code == 302
            assert len(queued) == 1 and queued[0].changes["to"] == [None, [parties[1].email]]
        else:
            assert response.status_code == 403
            assert queued == []

    def test_email_status_is_shown(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org)
        response = client.post(org_url("invoice_send", org, invoice_id=invoice.pk), follow=True)
        assert b"is being sent" in response.content
        emails = response.context["emails"]
        assert len(emails) == 1 and emails[0].to == [parties[1].email]
        assert f"to {parties[1].email}".encode() in response.content

    def test_send_to_other_addresses(self, client, org, parties, audit_entries):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org)
        url = org_url("invoice_send", org, invoice_id=invoice.pk)
        client.post(url, {"to": "a@example.com, b@example.com"})
        assert audit_entries(action="invoice.email_queued")[-1].changes["to"] == [
            None,
            ["a@example.com", "b@example.com"],
        ]
        response = client.post(url, {"to": "not an address"}, follow=True)
        assert b"Enter a valid email address" in response.content
        assert len(audit_entries(action="invoice.email_queued")) == 1

    def test_customer_without_email_is_explained(self, client, org, parties):
        customer = CustomerFactory(organization=org, email="")
        invoice = make_invoice(organization=org, business=parties[0], customer=customer, status="issued")
        log_in(client, org)
        response = client.post(org_url("invoice_send", org, invoice_id=invoice.pk), follow=True)
        assert b"no email address" in response.content
        assert response.context["emails"] == []


class TestValidation:
    """The editor decides nothing: the service's messages come back on the line and field
    their paths name (``items.3.quantity``), and its bounds are the only ones."""

    def test_an_error_on_the_fourth_line_is_shown_on_the_fourth_line(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        rows = [("A", "1", "10", "0"), ("B", "1", "10", "0"), ("C", "1", "10", "0"), ("D", "0", "10", "0")]
        response = client.post(org_url("invoice_create", org), invoice_post(business, customer, *rows))
        assert response.status_code == 400
        assert [row.errors for row in response.context["rows"]] == [
            {},
            {},
            {},
            {"quantity": ["Ensure this value is greater than 0."]},
        ]
        assert response.context["list_errors"] == [] and not response.context["form"].errors
        content = response.content.decode()
        assert 'id="items-3-quantity-error"' in content and 'id="items-2-quantity-error"' not in content

    def test_blank_rows_do_not_shift_the_errors(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        data = invoice_post(business, customer, ("A", "1", "10", "0"), ("", "", "", ""), ("C", "x", "10", "0"))
        response = client.post(org_url("invoice_create", org), data)
        rows = response.context["rows"]
        assert [row.values["description"] for row in rows] == ["A", "C"]
        assert rows[0].errors == {} and "quantity" in rows[1].errors

    def test_messages_about_the_list_are_shown_above_the_lines(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        rows = [(f"Line {i}", "1", "1", "0") for i in range(501)]
        response = client.post(org_url("invoice_create", org), invoice_post(business, customer, *rows))
        assert response.status_code == 400
        assert response.context["list_errors"] == ["An invoice can have at most 500 items."]
        assert "An invoice can have at most 500 items." in response.content.decode()

    def test_a_decimal_comma_is_read_as_a_point(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_create", org),
            invoice_post(
                business, customer, ("A", "1,5", "10,25", "7,5"), discount_type="percent", discount_value="2,5"
            ),
        )
        assert response.status_code == 302
        with organization_scope(org):
            invoice = Invoice.objects.get()
            item = invoice.items.get()
        assert (item.quantity, item.unit_price, item.tax_rate) == (Decimal("1.5"), Decimal("10.25"), Decimal("7.5"))
        assert invoice.discount_value == Decimal("2.5")
        assert_stored_totals(invoice)

    def test_the_preview_reads_a_decimal_comma_too(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        response = client.post(
            org_url("invoice_editor", org), invoice_post(business, customer, ("A", "1,5", "10", "0"))
        )
        assert response.context["preview"]["totals"].total == Decimal("15.00")

    @pytest.mark.parametrize("value", ["+1", "١", "１２", "1,2,3", "1.000,5"])
    def test_numbers_the_service_refuses_are_refused_with_its_message(self, client, org, parties, value):
        business, customer = parties
        log_in(client, org)
        response = client.post(org_url("invoice_create", org), invoice_post(business, customer, ("A", value, "1", "0")))
        assert response.status_code == 400
        assert response.context["rows"][0].errors == {
            "quantity": ["A valid number is required: use the digits 0-9 and at most one decimal point."]
        }

    def test_a_description_with_control_characters_is_refused_on_its_line(self, client, org, parties):
        business, customer = parties
        log_in(client, org)
        data = invoice_post(
            business, customer, ("Fine\r\nand on two lines", "1", "1", "0"), ("Bell\x07", "1", "1", "0")
        )
        response = client.post(org_url("invoice_create", org), data)
        assert response.status_code == 400
        rows = response.context["rows"]
        assert rows[0].errors == {}
        assert rows[1].errors == {"description": ["Text may not contain control characters (U+0007)."]}

    @pytest.mark.parametrize("code", ["XXX", "XAU", "XTS"])
    def test_a_currency_that_is_not_money_is_refused_on_the_field(self, client, org, parties, code):
        business, customer = parties
        log_in(client, org)
        response = client.post(org_url("invoice_create", org), invoice_post(business, customer, currency=code))
        assert response.status_code == 400
        [message] = response.context["form"].errors["currency"]
        assert message.startswith(f"{code} (") and "not a currency a business can invoice in" in message

    def test_the_descriptions_bound_is_the_services(self, client, org, parties, monkeypatch):
        """Raise the bound in billing.validation: the web takes longer descriptions. Lower it:
        the web refuses with the service's message. Nothing in the form or template decides."""
        business, customer = parties
        log_in(client, org)
        long_text = "x" * 2500
        monkeypatch.setattr(validation, "ITEM_DESCRIPTION", validation.Text(3000, multiline=True, required=True))
        response = client.post(
            org_url("invoice_create", org), invoice_post(business, customer, (long_text, "1", "1", "0"))
        )
        assert response.status_code == 302
        with organization_scope(org):
            assert Invoice.objects.get().items.get().description == long_text
        assert 'maxlength="' not in client.get(org_url("invoice_create", org)).content.decode()

        monkeypatch.setattr(validation, "ITEM_DESCRIPTION", validation.Text(3, multiline=True, required=True))
        response = client.post(
            org_url("invoice_create", org), invoice_post(business, customer, ("four", "1", "1", "0"))
        )
        assert response.context["rows"][0].errors == {
            "description": ["Ensure this field has no more than 3 characters."]
        }

    def test_the_quantity_bound_is_the_services(self, client, org, parties, monkeypatch):
        business, customer = parties
        log_in(client, org)
        monkeypatch.setattr(validation, "QUANTITY_MAX", Decimal(10))
        response = client.post(org_url("invoice_create", org), invoice_post(business, customer, ("A", "11", "1", "0")))
        assert response.context["rows"][0].errors == {"quantity": ["Ensure this value is less than or equal to 10."]}
        preview = client.post(org_url("invoice_editor", org), invoice_post(business, customer, ("A", "11", "1", "0")))
        assert "less than or equal to 10" in preview.content.decode()


class TestCreditNotes:
    def test_a_credit_note_from_the_invoice_page_prefilled_edited_issued(self, client, org, parties, audit_entries):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org, Role.MEMBER)
        url = org_url("credit_note_create", org, invoice_id=invoice.pk)
        page = client.get(url)
        assert page.status_code == 200
        assert [row.values["description"] for row in page.context["rows"]] == ["Design work", "Hosting"]
        too_much = client.post(url, invoice_post(parties[0], parties[1], ("Design work", "14", "80", "20"), reason="x"))
        assert too_much.status_code == 400 and b"what is left to credit" in too_much.content
        saved = client.post(url, invoice_post(parties[0], parties[1], ("Design work", "1", "80", "20"), reason="1 h"))
        assert saved.status_code == 302
        with organization_scope(org):
            note = invoice.credit_notes.get()
        assert (note.status, note.total, note.reason) == ("draft", Decimal("96.00"), "1 h")
        detail = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
        assert "credit-note-row" in detail and "New credit note" in detail
        issue = org_url("credit_note_issue", org, invoice_id=invoice.pk, credit_note_id=note.pk)
        assert client.post(issue).status_code == 302
        assert reload(invoice).credited_total == Decimal("96.00")
        assert audit_entries(action="credit_note.issued")

    def test_viewers_cannot_create_or_issue_credit_notes(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        log_in(client, org, Role.VIEWER)
        assert client.get(org_url("credit_note_create", org, invoice_id=invoice.pk)).status_code == 403


class TestCreditNoteList:
    def test_filters_by_status_and_number_and_shows_nothing_of_another_organization(self, client, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        other = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        issued = services.invoice_cancel(organization=org, actor=None, invoice_id=invoice.pk)
        draft = services.credit_note_create(organization=org, actor=None, data={"invoice": other.pk, "full": True})
        outsider = make_invoice(organization=OrganizationFactory(), status="issued")
        services.invoice_cancel(organization=outsider.organization, actor=None, invoice_id=outsider.pk)
        log_in(client, org, Role.VIEWER)
        url = org_url("credit_note_list", org)
        everything = client.get(url)
        assert [note.pk for note in everything.context["page_obj"]] == [draft.pk, issued.pk]
        assert [n.pk for n in client.get(url, {"status": "issued"}).context["page_obj"]] == [issued.pk]
        assert [n.pk for n in client.get(url, {"q": other.number}).context["page_obj"]] == [draft.pk]
        assert client.get(url, {"status": "bogus", "q": "x" * 500}).status_code == 200


class TestCreditNoteEdit:
    @pytest.fixture
    def draft(self, org, parties):
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], status="issued")
        data = {"invoice": invoice.pk, "reason": "Overbilled"}
        data["items"] = [
            {"description": "Design work", "quantity": "1", "unit_price": "80", "tax_rate": "20", "vat_category": "S"}
        ]
        return services.credit_note_create(organization=org, actor=None, data=data)

    def url(self, note):
        return org_url("credit_note_edit", note.organization, invoice_id=note.invoice_id, credit_note_id=note.pk)

    def test_get_prefills_the_form_from_the_draft(self, client, org, draft):
        log_in(client, org, Role.MEMBER)
        page = client.get(self.url(draft))
        assert page.status_code == 200
        assert page.context["reason"] == "Overbilled" and page.context["note"] == draft
        assert [(row.values["description"], row.values["quantity"]) for row in page.context["rows"]] == [
            ("Design work", "1")
        ]
        detail = client.get(org_url("invoice_detail", org, invoice_id=draft.invoice_id)).content.decode()
        assert self.url(draft) in detail
        assert self.url(draft) in client.get(org_url("credit_note_list", org)).content.decode()

    def test_post_valid_updates_the_draft(self, client, org, parties, draft, audit_entries):
        log_in(client, org, Role.MEMBER)
        data = invoice_post(parties[0], parties[1], ("Design work", "2", "80", "20"), reason="Two hours")
        response = client.post(self.url(draft), data)
        assert response.status_code == 302
        with organization_scope(org):
            note = type(draft).objects.get(pk=draft.pk)
            assert [(item.quantity, item.description) for item in note.items.all()] == [(Decimal(2), "Design work")]
        assert (note.status, note.total, note.reason, note.version) == ("draft", Decimal("192.00"), "Two hours", 2)
        assert audit_entries(action="credit_note.updated")

    def test_post_invalid_keeps_the_input_with_field_errors(self, client, org, parties, draft):
        log_in(client, org, Role.MEMBER)
        data = invoice_post(parties[0], parties[1], ("Design work", "abc", "80", "20"), reason="Typo kept")
        response = client.post(self.url(draft), data)
        assert response.status_code == 400
        assert response.context["reason"] == "Typo kept"
        row = response.context["rows"][0]
        assert row.values["quantity"] == "abc" and row.errors.get("quantity")
        with organization_scope(org):
            assert type(draft).objects.get(pk=draft.pk).reason == "Overbilled"

    def test_a_draft_for_the_rest_previews_and_saves_the_tax_left(self, client, org, parties):
        """Three pens of 0.33 at 19 % (1.18), two credited (0.39 each): the draft for the rest
        shows, live and on save, the 0.07 VAT left, never a new rounding (0.06)."""
        pen = {"description": "Pen", "quantity": "1", "unit_price": "0.33", "tax_rate": "19"}
        invoice = make_invoice(organization=org, business=parties[0], customer=parties[1], items=[pen] * 3)
        invoice = services.invoice_issue(organization=org, actor=None, invoice_id=invoice.pk)
        for _ in range(2):
            note = services.credit_note_create(
                organization=org, actor=None, data={"invoice": invoice.pk, "items": [pen]}
            )
            services.credit_note_issue(organization=org, actor=None, credit_note_id=note.pk)
        rest = services.credit_note_create(organization=org, actor=None, data={"invoice": invoice.pk, "full": True})
        assert (rest.tax_total, rest.total) == (Decimal("0.07"), Decimal("0.40"))
        log_in(client, org, Role.MEMBER)
        page = client.get(self.url(rest))
        assert page.context["preview"]["totals"].total == Decimal("0.40")
        row = ("Remaining amount of invoice " + invoice.number, "1", "0.33", "19")
        live = client.post(
            org_url("invoice_editor", org),
            invoice_post(parties[0], parties[1], row, credited_invoice=str(invoice.pk)),
        )
        assert live.context["preview"]["totals"].tax_total == Decimal("0.07")
        plain = client.post(org_url("invoice_editor", org), invoice_post(parties[0], parties[1], row))
        assert plain.context["preview"]["totals"].tax_total == Decimal("0.06")  # an invoice's own rounding
        outsider = make_invoice(organization=OrganizationFactory(), status="issued")
        for stranger in (str(outsider.pk), "not-an-id"):  # another organization's invoice is none
            data = invoice_post(parties[0], parties[1], row, credited_invoice=stranger)
            assert client.post(org_url("invoice_editor", org), data).context["preview"]["totals"].tax_total == Decimal(
                "0.06"
            )
        saved = client.post(self.url(rest), invoice_post(parties[0], parties[1], row, reason="The rest"))
        assert saved.status_code == 302
        with organization_scope(org):
            assert type(rest).objects.get(pk=rest.pk).total == Decimal("0.40")
        services.credit_note_issue(organization=org, actor=None, credit_note_id=rest.pk)
        assert reload(invoice).status == "credited"

    def test_an_issued_credit_note_is_refused(self, client, org, parties, draft):
        services.credit_note_issue(organization=org, actor=None, credit_note_id=draft.pk)
        log_in(client, org, Role.MEMBER)
        for response in (
            client.get(self.url(draft), follow=True),
            client.post(self.url(draft), invoice_post(parties[0], parties[1], reason="x"), follow=True),
        ):
            assert response.redirect_chain[-1][0].endswith("#credit-notes")
            assert "An issued credit note is final" in response.content.decode()
        with organization_scope(org):
            assert type(draft).objects.get(pk=draft.pk).reason == "Overbilled"

    def test_viewers_are_refused_and_other_organizations_get_404(self, client, org, parties, draft):
        log_in(client, org, Role.VIEWER)
        assert client.get(self.url(draft)).status_code == 403
        log_in_outsider(client)
        assert client.get(self.url(draft)).status_code == 404
        assert client.post(self.url(draft), invoice_post(parties[0], parties[1], reason="x")).status_code == 404
