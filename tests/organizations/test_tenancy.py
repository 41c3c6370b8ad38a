"""Fail-closed scoping: unscoped queries raise, other organizations' pages and ids are 404,
and the scope-safe form fields only ever see the request's organization."""

import uuid

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django_scopes.exceptions import ScopeError

from organizations.forms import TenantFormMixin, TenantModelChoiceField
from organizations.models import ApiKey, Membership
from organizations.permissions import Role
from organizations.tenancy import TenantModel, all_tenants, organization_scope
from tests.organizations.conftest import logged_in_client
from tests.organizations.factories import MembershipFactory, make_api_key

TENANT_MODELS = sorted((m for m in apps.get_models() if issubclass(m, TenantModel)), key=lambda m: m._meta.label)


def test_every_app_has_tenant_models_registered():
    labels = {m._meta.label for m in TENANT_MODELS}
    assert {"organizations.Membership", "organizations.Invite", "organizations.ApiKey"} <= labels
    assert "billing.Invoice" in labels and "audit.AuditEntry" in labels


@pytest.mark.django_db
@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_an_unscoped_query_on_a_tenant_model_raises(model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=uuid.uuid4()).exists()
    # Reverse relations use the default manager, so it must be the scoped one.
    assert model._default_manager.__class__.__name__ == model.objects.__class__.__name__
    with pytest.raises(ScopeError):
        list(model._default_manager.all())


def _populate(organization):
    """At least one row of every tenant model in ``organization``, made as the app makes them."""
    from billing.models import Invoice
    from documents import pipeline
    from documents.services import document_render, invoice_send
    from organizations.models import IdempotencyKey
    from organizations.services import invite_create
    from tests.billing.factories import make_invoice, make_recurring_invoice

    with organization_scope(organization):
        owner = MembershipFactory(organization=organization, role=Role.OWNER).user
        key, _ = make_api_key(organization, created_by=owner)
        invite_create(organization=organization, actor=owner, email=f"new@{organization.slug}.example.com")
        IdempotencyKey.objects.create(organization=organization, api_key=key, key="retry-1", fingerprint="0" * 64)
        invoice = make_invoice(organization=organization, actor=owner, status="partially_paid")
        invoice_send(organization=organization, actor=owner, invoice_id=invoice.pk, to=["ap@example.com"])
        document_render(organization=organization, invoice_id=invoice.pk)
        make_recurring_invoice(organization=organization, business=invoice.business, customer=invoice.customer)
        from billing import services as billing_services

        note = billing_services.credit_note_create(
            organization=organization, actor=owner, data={"invoice": invoice.pk, "full": True}
        )
        billing_services.credit_note_issue(organization=organization, actor=owner, credit_note_id=note.pk)
        pipeline.render(pipeline.CREDIT_NOTE, organization=organization, subject_id=note.pk)
        # A reminder schedule whose step is due at once, and the reminder the run queues (for an
        # invoice still open: the one above is credited in full).
        reminded = make_invoice(organization=organization, actor=owner, status="issued")
        billing_services.reminder_schedule_set(
            organization=organization, actor=owner, business_id=reminded.business_id, steps=[{"offset_days": -365}]
        )
        billing_services.run_due_reminders()
        assert reminded.reminders.exists()
        assert Invoice.objects.filter(organization=organization).exists()


@pytest.fixture
def two_populated_orgs(org, other_org):
    _populate(org)
    _populate(other_org)
    return org, other_org


@pytest.mark.django_db
@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_a_scoped_query_sees_only_its_organization(model, two_populated_orgs):
    """Both organizations hold rows of every tenant model; each scope sees exactly its own
    (with the scoping filter removed, each would see the other's rows too)."""
    org, other_org = two_populated_orgs
    with all_tenants():
        everything = {row.pk: row.organization_id for row in model.objects.all()}
    mine = {pk for pk, owner in everything.items() if owner == org.pk}
    theirs = {pk for pk, owner in everything.items() if owner == other_org.pk}
    assert mine and theirs, f"{model._meta.label}: the fixture must create rows in both organizations"
    with organization_scope(org):
        assert {row.pk for row in model.objects.all()} == mine
        assert model.objects.count() == len(mine)
    with organization_scope(other_org):
        assert {row.pk for row in model.objects.all()} == theirs


@pytest.mark.django_db
def test_scope_returns_only_the_scoped_organizations_rows(org, other_org, owner, outsider):
    with organization_scope(org):
        assert {m.user_id for m in Membership.objects.all()} == {owner.pk}
    with organization_scope(other_org):
        assert {m.user_id for m in Membership.objects.all()} == {outsider.pk}
    with all_tenants():
        assert Membership.objects.count() == 2


# --- every page under /o/<org_slug>/ -------------------------------------------------------------

SAMPLE_VALUES = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1", "slug": lambda: "x", "str": lambda: "x"}
ORG_PREFIX = "o/<slug:org_slug>/"


def _walk(patterns, prefix=""):
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            route = prefix + str(pattern._route)
        elif isinstance(pattern, RegexPattern):
            route = prefix + pattern._regex.lstrip("^").rstrip("$")
        else:  # pragma: no cover - a new pattern type must be handled here
            raise AssertionError(f"unknown pattern type {pattern!r}")
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name


def organization_routes():
    routes = sorted({(r, n) for r, n in _walk(get_resolver().url_patterns) if r.startswith(ORG_PREFIX)})
    assert routes, "no organization pages found under /o/<org_slug>/"
    return routes


def concrete_path(route, org_slug):
    import re

    path = route.replace("<slug:org_slug>", org_slug)

    def fill(match):
        converter = match.group(1) or "str"
        return SAMPLE_VALUES.get(converter, SAMPLE_VALUES["str"])()

    path = re.sub(r"<(?:(\w+):)?\w+>", fill, path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "x", path)  # regex groups, if any
    return "/" + path


ROUTES = organization_routes()


def test_the_matrix_covers_the_pages_of_this_issue():
    names = {name for _route, name in ROUTES}
    assert {"member_list", "organization_settings", "invite_create", "api_key_list", "api_key_create"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[r for r, _ in ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_of_org_a_gets_404_on_every_org_b_page(route, name, method, org, owner, other_org, outsider):
    client = logged_in_client(owner, reauthenticated=True)
    response = getattr(client, method)(concrete_path(route, other_org.slug))
    assert response.status_code == 404, (route, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[r for r, _ in ROUTES])
def test_anonymous_visitors_are_sent_to_login_from_every_org_page(route, name, org):
    from django.test import Client

    response = Client().get(concrete_path(route, org.slug))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_an_unknown_organization_slug_is_404_like_a_foreign_one(owner):
    assert logged_in_client(owner).get("/o/no-such-org/members/").status_code == 404


@pytest.mark.django_db
def test_another_orgs_ids_in_my_org_urls_are_404_and_change_nothing(org, owner, other_org, outsider):
    foreign_membership = MembershipFactory(organization=other_org, role=Role.MEMBER)
    with organization_scope(other_org):
        foreign_key, _ = make_api_key(other_org)
    from organizations import services

    foreign_invite, _ = services.invite_create(organization=other_org, actor=outsider, email="x@example.com")
    client = logged_in_client(owner, reauthenticated=True)
    slug = org.slug
    for path, data in [
        (f"/o/{slug}/members/{foreign_membership.pk}/role/", {"role": "viewer"}),
        (f"/o/{slug}/members/{foreign_membership.pk}/remove/", {}),
        (f"/o/{slug}/invites/{foreign_invite.pk}/revoke/", {}),
        (f"/o/{slug}/api-keys/{foreign_key.pk}/revoke/", {}),
    ]:
        assert client.post(path, data).status_code == 404, path
    with all_tenants():
        assert Membership.objects.get(pk=foreign_membership.pk).role == Role.MEMBER
        assert ApiKey.objects.get(pk=foreign_key.pk).revoked_at is None
        foreign_invite.refresh_from_db()
        assert foreign_invite.revoked_at is None


# --- scope-safe fields -----------------------------------------------------------------------


class _KeyForm(TenantFormMixin, __import__("django").forms.Form):
    api_key = TenantModelChoiceField(ApiKey)


@pytest.mark.django_db
def test_tenant_model_choice_field_offers_and_accepts_only_own_org_rows(org, other_org):
    with all_tenants():
        mine, _ = make_api_key(org, name="mine")
        theirs, _ = make_api_key(other_org, name="theirs")
    with organization_scope(org):
        form = _KeyForm(data={"api_key": str(theirs.pk)}, organization=org)
        assert not form.is_valid()
        unknown = _KeyForm(data={"api_key": str(uuid.uuid4())}, organization=org)
        assert not unknown.is_valid()
        assert form.errors["api_key"] == unknown.errors["api_key"]
        ok = _KeyForm(data={"api_key": str(mine.pk)}, organization=org)
        assert ok.is_valid() and ok.cleaned_data["api_key"] == mine
        choices = [str(value) for value, _label in ok.fields["api_key"].choices if value]
        assert choices == [str(mine.pk)]


def test_tenant_model_choice_field_can_be_declared_at_import_without_a_scope():
    # Declaring the form class above ran outside any scope; instantiating one does too.
    form = _KeyForm(organization=None)
    assert "api_key" in form.fields


@pytest.mark.django_db
def test_tenant_model_choice_field_uses_the_open_scope_when_not_bound(org, other_org):
    from django import forms

    class Unbound(forms.Form):
        api_key = TenantModelChoiceField(ApiKey)

    with all_tenants():
        theirs, _ = make_api_key(other_org)
    with organization_scope(org):
        form = Unbound(data={"api_key": str(theirs.pk)})
        assert not form.is_valid()
