"""Every registered model: staff can open its changelist and change page, in constant queries."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from organizations.models import Invite
from organizations.tenancy import all_tenants
from tests.admin.builders import ROW_BUILDERS, invoice_in
from tests.billing.factories import BusinessFactory, CustomerFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(model._meta.label_lower for model in admin.site._registry)


def model_for(label):
    return next(model for model in admin.site._registry if model._meta.label_lower == label)


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_registered_model_has_a_row_builder():
    """A model registered without test data would silently escape the smoke tests below."""
    assert set(REGISTERED) == set(ROW_BUILDERS)


@pytest.mark.parametrize("label", REGISTERED)
def test_staff_opens_changelist_and_change_page(staff_client, orgs, label):
    model = model_for(label)
    ROW_BUILDERS[label](orgs, 2)

    response = staff_client.get(changelist_url(model))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 2
    with all_tenants():
        obj = model._default_manager.order_by("pk").last()
    change_url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    page = staff_client.get(change_url)
    assert page.status_code == 200
    assert str(obj.pk) in page.content.decode() or str(obj) in page.content.decode()


def _changelist_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.context["cl"].result_list)


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_query_count_is_the_same_for_5_and_50_rows(staff_client, orgs, label):
    model = model_for(label)
    url = changelist_url(model)
    ROW_BUILDERS[label](orgs, 5)
    staff_client.get(url)  # warm-up: process-wide caches (content types) load on first use
    queries_5, rows_5 = _changelist_queries(staff_client, url)

    ROW_BUILDERS[label](orgs, 45)
    queries_50, rows_50 = _changelist_queries(staff_client, url)

    assert rows_5 >= 5
    assert rows_50 >= 50
    assert queries_50 == queries_5, f"{label}: {queries_5} queries for {rows_5} rows, {queries_50} for {rows_50}"


def test_invoice_change_page_query_count_does_not_grow_with_items_and_payments(staff_client, orgs):
    small = invoice_in(organization=orgs[0], status="partially_paid")
    items = [{"description": f"Line {i}", "quantity": "1", "unit_price": "10.00", "tax_rate": "20"} for i in range(30)]
    big = invoice_in(organization=orgs[1], status="partially_paid", items=items)

    def queries(invoice):
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).status_code == 200
        return len(captured)

    queries(small)  # warm-up: process-wide caches (content types) load on first use
    assert queries(big) == queries(small)


@pytest.mark.parametrize(
    ("url_name", "query", "expected"),
    [
        ("admin:billing_invoice_changelist", "number", "invoice"),
        ("admin:billing_invoice_changelist", "customer_name", "invoice"),
        ("admin:billing_invoice_changelist", "customer_email", "invoice"),
        ("admin:billing_invoice_changelist", "org_slug", "invoice"),
        ("admin:billing_invoice_changelist", "org_name", "invoice"),
        ("admin:billing_customer_changelist", "customer_email", "customer"),
        ("admin:organizations_organization_changelist", "org_slug", "organization"),
        ("admin:accounts_user_changelist", "user_email", "user"),
        ("admin:billing_payment_changelist", "number", "payment"),
    ],
)
def test_search_finds_across_organizations(staff_client, orgs, url_name, query, expected):
    customer = CustomerFactory(organization=orgs[1], name="Zebulon Quux", email="zebulon@quux.example")
    invoice = invoice_in(organization=orgs[1], customer=customer, status="partially_paid")
    invoice_in(organization=orgs[0], status="issued")  # another org's invoice: must not match
    with all_tenants():
        payment = invoice.payments.get()
    terms = {
        "number": invoice.number,
        "customer_name": "Zebulon",
        "customer_email": "zebulon@quux",
        "org_slug": orgs[1].slug,
        "org_name": orgs[1].name,
        "user_email": "support@billora",
    }
    targets = {"invoice": invoice, "customer": customer, "organization": orgs[1], "payment": payment}

    response = staff_client.get(reverse(url_name), {"q": terms[query]})

    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    if expected == "user":
        assert [user.email for user in results] == ["support@billora.example"]
    else:
        assert targets[expected].pk in [row.pk for row in results]
        if expected == "invoice" and query in ("customer_name", "customer_email", "org_slug"):
            assert all(row.organization_id == orgs[1].pk for row in results)


def test_organization_changelist_shows_annotated_counts(staff_client, orgs):
    invoice_in(organization=orgs[0], status="issued")
    invoice_in(organization=orgs[0], status="draft")

    response = staff_client.get(reverse("admin:organizations_organization_changelist"))

    by_pk = {org.pk: org for org in response.context["cl"].result_list}
    with all_tenants():
        invoices = Invoice.objects.filter(organization=orgs[0]).count()
    assert by_pk[orgs[0].pk].invoice_total == invoices == 2
    assert by_pk[orgs[0].pk].customer_total == 2
    assert by_pk[orgs[1].pk].invoice_total == 0


@pytest.mark.parametrize("label", REGISTERED)
def test_every_filter_choice_and_a_search_open_without_error(staff_client, orgs, label):
    model = model_for(label)
    url = changelist_url(model)
    ROW_BUILDERS[label](orgs, 2)
    changelist = staff_client.get(url).context["cl"]

    query_strings = {"?q=no-such-thing", "?q=" + orgs[0].slug}
    for spec in changelist.filter_specs:
        query_strings.update(choice["query_string"] for choice in spec.choices(changelist))
    for query_string in sorted(query_strings):
        response = staff_client.get(url + query_string)
        assert response.status_code == 200, query_string
        assert "cl" in response.context, query_string  # not the "?e=1" invalid-lookup redirect


def test_invite_status_filter_splits_pending_from_revoked(staff_client, orgs):
    ROW_BUILDERS["organizations.invite"](orgs, 2)
    with all_tenants():
        revoked = Invite.objects.order_by("created_at").first()
        Invite.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    url = reverse("admin:organizations_invite_changelist")

    pending = staff_client.get(url, {"status": "pending"}).context["cl"].result_list
    revoked_rows = staff_client.get(url, {"status": "revoked"}).context["cl"].result_list

    assert [row.pk for row in revoked_rows] == [revoked.pk]
    assert revoked.pk not in [row.pk for row in pending]
    assert len(pending) == 1


def test_organization_page_query_count_does_not_grow_with_members_invites_and_keys(staff_client, orgs):
    def queries(org):
        with CaptureQueriesContext(connection) as captured:
            assert (
                staff_client.get(reverse("admin:organizations_organization_change", args=[org.pk])).status_code == 200
            )
        return len(captured)

    for org, count in ((orgs[0], 1), (orgs[1], 12)):
        ROW_BUILDERS["organizations.membership"]([org], count)
        ROW_BUILDERS["organizations.invite"]([org], count)
        ROW_BUILDERS["organizations.apikey"]([org], count)

    queries(orgs[0])  # warm-up: process-wide caches (content types) load on first use
    assert queries(orgs[1]) == queries(orgs[0])


@pytest.mark.parametrize(
    "label",
    [
        "billing.invoice",
        "billing.invoiceitem",
        "billing.payment",
        "audit.auditentry",
        "audit.securityevent",
        "documents.invoicedocument",
        "documents.outboundemail",
        "organizations.idempotencykey",
    ],
)
def test_big_tables_never_count_the_whole_table(staff_client, orgs, label):
    model = model_for(label)
    ROW_BUILDERS[label](orgs, 2)

    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(changelist_url(model), {"q": orgs[0].slug})

    assert response.status_code == 200
    assert admin.site._registry[model].show_full_result_count is False
    table = model._meta.db_table
    unfiltered_counts = [
        q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper() and "WHERE" not in q["sql"].upper()
    ]
    assert not [sql for sql in unfiltered_counts if table in sql]


def test_support_never_sees_a_usable_invite_token(staff_client, orgs):
    """Even while the invite email waits to be sent (its row still holds the link)."""
    from documents.models import OutboundEmail
    from organizations import services as organization_services
    from organizations.models import Membership
    from organizations.permissions import Role
    from tests.accounts.factories import UserFactory

    owner = UserFactory()
    with all_tenants():
        Membership.objects.create(organization=orgs[0], user=owner, role=Role.OWNER)
    invite, raw = organization_services.invite_create(organization=orgs[0], actor=owner, email="new@example.com")
    with all_tenants():
        email = OutboundEmail.objects.get(invite=invite)
    assert email.status == OutboundEmail.Status.QUEUED  # the after-commit send never ran

    model = model_for("documents.outboundemail")
    change = reverse("admin:documents_outboundemail_change", args=[email.pk])
    for url in (changelist_url(model), change, changelist_url(model) + "?q=new%40example.com"):
        response = staff_client.get(url)
        assert response.status_code == 200
        assert raw not in response.content.decode()
    page = staff_client.get(change).content.decode()
    assert "new@example.com" in page  # the message is shown, only the link is not


def test_the_business_and_customer_lists_show_and_search_vat_ids(staff_client, orgs):
    business = BusinessFactory(organization=orgs[1], vat_id="FR40303265045")
    customer = CustomerFactory(organization=orgs[0], vat_id="DE136695976")
    BusinessFactory(organization=orgs[0], vat_id="")
    for url_name, query, target in (
        ("admin:billing_business_changelist", "FR40303265045", business),
        ("admin:billing_customer_changelist", "DE136695976", customer),
    ):
        response = staff_client.get(reverse(url_name), {"q": query})
        assert response.status_code == 200
        assert [row.pk for row in response.context["cl"].result_list] == [target.pk]
        assert query in response.content.decode()
