"""Customer pages: list (search, archived filter, pagination), create/edit, archive, delete, detail."""

import pytest

from billing import validation
from billing.models import Customer
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.webclient import ROLES, WRITERS, count_queries, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db


def customer_post(**overrides):
    data = {
        "name": "Globex",
        "email": "ap@globex.example",
        "phone": "",
        "address_line1": "1 Globex Way",
        "country": "US",
        "tax_id": "",
        "currency": "usd",
        "notes": "",
    }
    data.update(overrides)
    return data


def reload(customer):
    with organization_scope(customer.organization):
        return Customer.objects.get(pk=customer.pk)


class TestList:
    @pytest.mark.parametrize("role", ROLES)
    def test_it_works_for_every_role(self, client, org, role):
        CustomerFactory(organization=org, name="Initech")
        log_in(client, org, role)
        response = client.get(org_url("customer_list", org))
        assert response.status_code == 200
        assert b"Initech" in response.content
        assert (org_url("customer_create", org).encode() in response.content) == (role in WRITERS)

    def test_only_this_organizations_customers_are_listed(self, client, org, other_org):
        CustomerFactory(organization=org, name="Mine")
        CustomerFactory(organization=other_org, name="Theirs")
        log_in(client, org)
        response = client.get(org_url("customer_list", org))
        assert b"Mine" in response.content
        assert b"Theirs" not in response.content

    def test_search(self, client, org):
        CustomerFactory(organization=org, name="Alpha Corp")
        CustomerFactory(organization=org, name="Beta Ltd")
        log_in(client, org)
        response = client.get(org_url("customer_list", org), {"q": "alpha"})
        assert b"Alpha Corp" in response.content
        assert b"Beta Ltd" not in response.content

    def test_archived_filter(self, client, org):
        CustomerFactory(organization=org, name="Active One")
        CustomerFactory(organization=org, name="Old One", archived=True)
        log_in(client, org)
        active = client.get(org_url("customer_list", org)).content
        archived = client.get(org_url("customer_list", org), {"archived": "true"}).content
        everyone = client.get(org_url("customer_list", org), {"archived": "all"}).content
        assert b"Active One" in active and b"Old One" not in active
        assert b"Old One" in archived and b"Active One" not in archived
        assert b"Old One" in everyone and b"Active One" in everyone

    def test_pagination(self, client, org):
        for i in range(30):
            CustomerFactory(organization=org, name=f"Customer {i:02d}")
        log_in(client, org)
        first = client.get(org_url("customer_list", org))
        second = client.get(org_url("customer_list", org), {"page": "2"})
        assert len(first.context["page_obj"].object_list) == 25
        assert len(second.context["page_obj"].object_list) == 5
        assert b"Page 1 of 2" in first.content
        # A nonsense page number does not break the page.
        assert client.get(org_url("customer_list", org), {"page": "zzz"}).status_code == 200

    def test_empty_state(self, client, org):
        log_in(client, org)
        response = client.get(org_url("customer_list", org))
        assert b"No customers yet" in response.content
        assert b"Add your first customer" in response.content

    def test_constant_number_of_queries(self, client, org, django_assert_max_num_queries):
        log_in(client, org)
        client.get(org_url("customer_list", org))  # warm the session
        counts = []
        for total in (5, 50):
            with organization_scope(org):
                have = Customer.objects.filter(organization=org).count()
            CustomerFactory.create_batch(total - have, organization=org)
            with django_assert_max_num_queries(8), count_queries() as queries:
                response = client.get(org_url("customer_list", org), {"archived": "all", "page_size": 50})
            assert len(response.context["page_obj"].object_list) == total
            assert response.status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_outsider_gets_404(self, client, org):
        log_in_outsider(client)
        assert client.get(org_url("customer_list", org)).status_code == 404


class TestCreateEdit:
    @pytest.mark.parametrize("role", ROLES)
    def test_create_role_matrix(self, client, org, role):
        log_in(client, org, role)
        get = client.get(org_url("customer_create", org))
        post = client.post(org_url("customer_create", org), customer_post())
        with organization_scope(org):
            created = Customer.objects.filter(organization=org, name="Globex").first()
        if role in WRITERS:
            assert get.status_code == 200
            assert post.status_code == 302
            assert created is not None and created.currency == "USD"
            assert post["Location"] == org_url("customer_detail", org, customer_id=created.pk)
        else:
            assert (get.status_code, post.status_code) == (403, 403)
            assert created is None

    @pytest.mark.parametrize("role", ROLES)
    def test_edit_role_matrix(self, client, org, role):
        customer = CustomerFactory(organization=org, name="Before")
        log_in(client, org, role)
        url = org_url("customer_edit", org, customer_id=customer.pk)
        get = client.get(url)
        post = client.post(url, customer_post(name="After"))
        if role in WRITERS:
            assert get.status_code == 200 and b'value="Before"' in get.content
            assert post.status_code == 302
            assert reload(customer).name == "After"
        else:
            assert (get.status_code, post.status_code) == (403, 403)
            assert reload(customer).name == "Before"

    def test_validation_errors_next_to_fields_and_input_kept(self, client, org):
        log_in(client, org)
        response = client.post(
            org_url("customer_create", org),
            customer_post(name="", email="not-an-email", currency="QQQ", phone="+1 555"),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert {"name", "email", "currency"} <= set(errors)
        assert b'value="+1 555"' in response.content
        assert b'value="not-an-email"' in response.content

    def test_service_error_for_unknown_currency_is_tied_to_the_field(self, client, org):
        log_in(client, org)
        response = client.post(org_url("customer_create", org), customer_post(currency="XYZ"))
        assert response.status_code == 400
        assert "ISO 4217" in str(response.context["form"].errors["currency"])

    def test_create_audits(self, client, org, audit_entries):
        log_in(client, org)
        client.post(org_url("customer_create", org), customer_post())
        assert [e.action for e in audit_entries()] == ["customer.created"]

    def test_next_returns_to_the_invoice_form(self, client, org):
        log_in(client, org)
        response = client.post(org_url("customer_create", org), customer_post(next="invoice_create"))
        with organization_scope(org):
            created = Customer.objects.get(name="Globex")
        assert response["Location"] == org_url("invoice_create", org) + f"?customer={created.pk}"

    def test_another_organizations_customer_is_404(self, client, org, other_org):
        foreign = CustomerFactory(organization=other_org, name="Foreign")
        log_in(client, org)
        for name in ("customer_detail", "customer_edit"):
            assert client.get(org_url(name, org, customer_id=foreign.pk)).status_code == 404
        for name in ("customer_edit", "customer_archive", "customer_delete"):
            assert client.post(org_url(name, org, customer_id=foreign.pk), customer_post()).status_code == 404
        assert reload(foreign).name == "Foreign" and not reload(foreign).archived


class TestArchiveDelete:
    @pytest.mark.parametrize("role", ROLES)
    def test_archive_and_restore(self, client, org, role):
        customer = CustomerFactory(organization=org)
        log_in(client, org, role)
        response = client.post(org_url("customer_archive", org, customer_id=customer.pk))
        if role in WRITERS:
            assert response.status_code == 302
            assert reload(customer).archived
            client.post(org_url("customer_archive", org, customer_id=customer.pk))
            assert not reload(customer).archived
        else:
            assert response.status_code == 403
            assert not reload(customer).archived

    def test_archive_only_by_post(self, client, org):
        customer = CustomerFactory(organization=org)
        log_in(client, org)
        assert client.get(org_url("customer_archive", org, customer_id=customer.pk)).status_code == 405

    @pytest.mark.parametrize("role", ROLES)
    def test_delete_without_invoices(self, client, org, role):
        customer = CustomerFactory(organization=org)
        log_in(client, org, role)
        response = client.post(org_url("customer_delete", org, customer_id=customer.pk))
        with organization_scope(org):
            exists = Customer.objects.filter(pk=customer.pk).exists()
        if role in WRITERS:
            assert response.status_code == 302 and response["Location"] == org_url("customer_list", org)
            assert not exists
        else:
            assert response.status_code == 403 and exists

    def test_delete_with_invoices_is_refused_with_the_reason(self, client, org):
        customer = CustomerFactory(organization=org)
        make_invoice(organization=org, customer=customer, business=BusinessFactory(organization=org))
        log_in(client, org)
        response = client.post(org_url("customer_delete", org, customer_id=customer.pk), follow=True)
        assert b"archive it instead" in response.content
        with organization_scope(org):
            assert Customer.objects.filter(pk=customer.pk).exists()


class TestDetail:
    @pytest.mark.parametrize("role", ROLES)
    def test_it_works_and_shows_invoices_and_balance(self, client, org, role):
        customer = CustomerFactory(organization=org, name="Umbrella")
        business = BusinessFactory(organization=org)
        issued = make_invoice(organization=org, customer=customer, business=business, status="issued")
        make_invoice(organization=org, customer=customer, business=business, status="draft")
        log_in(client, org, role)
        response = client.get(org_url("customer_detail", org, customer_id=customer.pk))
        assert response.status_code == 200
        assert issued.number.encode() in response.content
        assert len(response.context["page_obj"].object_list) == 2
        [balance] = response.context["balances"]
        assert balance["currency"] == "EUR" and balance["balance"] == issued.balance_due
        assert (b"Archive" in response.content) == (role != Role.VIEWER)

    def test_constant_number_of_queries(self, client, org, django_assert_max_num_queries):
        customer = CustomerFactory(organization=org)
        business = BusinessFactory(organization=org)
        log_in(client, org)
        url = org_url("customer_detail", org, customer_id=customer.pk)
        client.get(url)
        counts = []
        for total in (5, 25):
            with organization_scope(org):
                have = customer.invoices.count()
            for _ in range(total - have):
                make_invoice(organization=org, customer=customer, business=business, items=[])
            with django_assert_max_num_queries(10), count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_outsider_gets_404(self, client, org):
        customer = CustomerFactory(organization=org)
        log_in_outsider(client)
        assert client.get(org_url("customer_detail", org, customer_id=customer.pk)).status_code == 404


class TestValidation:
    @pytest.mark.parametrize("name", ["Globex\nCorp", "Globex\x0bCorp", "Globex\r"])
    def test_a_name_with_a_line_break_or_control_character_is_refused(self, client, org, name):
        log_in(client, org)
        response = client.post(org_url("customer_create", org), customer_post(name=f"{name} Inc"))
        assert response.status_code == 400
        assert "name" in response.context["form"].errors
        with organization_scope(org):
            assert not Customer.objects.exists()

    def test_a_currency_that_is_not_money_is_refused(self, client, org):
        log_in(client, org)
        response = client.post(org_url("customer_create", org), customer_post(currency="xxx"))
        assert response.status_code == 400
        [message] = response.context["form"].errors["currency"]
        assert message.startswith("XXX (") and "not a currency a business can invoice in" in message

    def test_the_notes_bound_is_the_services(self, client, org, monkeypatch):
        log_in(client, org)
        response = client.post(org_url("customer_create", org), customer_post(notes="n" * 5001))
        assert response.context["form"].errors["notes"] == ["Ensure this field has no more than 5000 characters."]
        monkeypatch.setitem(validation.CUSTOMER_INPUT, "notes", validation.Text(6000, multiline=True))
        response = client.post(org_url("customer_create", org), customer_post(notes="n" * 5001))
        assert response.status_code == 302
