import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.services import record
from audit.views import PAGE_SIZE
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.accounts.factories import UserFactory
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

pytestmark = pytest.mark.django_db


def activity_url(org, **params):
    url = reverse("audit_activity", kwargs={"org_slug": org.slug})
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def shown_actions(response):
    return [entry.action for entry in response.context["page_obj"]]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_every_role_can_read_the_activity(client, org, member_of, role):
    user = member_of(role)
    record(organization=org, actor=user, action="organization.updated", target=org, changes={"name": ["A", "B"]})
    client.force_login(user)

    response = client.get(activity_url(org))

    assert response.status_code == 200
    assert shown_actions(response) == ["organization.updated"]
    body = response.content.decode()
    assert "organization.updated" in body
    assert user.email in body
    assert "<del>A</del> → <ins>B</ins>" in body


def test_outsider_gets_404_and_sees_nothing(client, org, owner):
    record(organization=org, actor=owner, action="organization.updated")
    outsider = MembershipFactory(role=Role.OWNER).user  # owner of another organization
    client.force_login(outsider)

    response = client.get(activity_url(org))

    assert response.status_code == 404
    assert b"organization.updated" not in response.content


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(activity_url(org))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_only_this_organizations_entries_are_listed(client, org, owner):
    other = OrganizationFactory()
    record(organization=other, actor=None, action="other.secret")
    record(organization=org, actor=owner, action="mine")
    client.force_login(owner)

    response = client.get(activity_url(org))

    assert shown_actions(response) == ["mine"]
    assert b"other.secret" not in response.content


class TestFilters:
    @pytest.fixture
    def setup(self, org, owner):
        api_key, _ = make_api_key(org, name="CI")
        colleague = MembershipFactory(organization=org, role=Role.MEMBER).user
        record(organization=org, actor=owner, action="member.invited", target_type="invite", target_id="i1")
        record(organization=org, actor=colleague, action="invoice.issued", target_type="invoice", target_id="inv1")
        record(organization=org, actor=api_key, action="invoice.issued", target_type="invoice", target_id="inv2")
        record(organization=org, actor=None, action="invoice.overdue", target_type="invoice", target_id="inv1")
        return {"owner": owner, "colleague": colleague, "api_key": api_key}

    def get(self, client, org, owner, **params):
        client.force_login(owner)
        response = client.get(activity_url(org, **params))
        assert response.status_code == 200
        return response

    def test_by_action(self, client, org, setup):
        response = self.get(client, org, setup["owner"], action="invoice.issued")
        assert [e.target_id for e in response.context["page_obj"]] == ["inv2", "inv1"]

    def test_by_user_actor(self, client, org, setup):
        response = self.get(client, org, setup["owner"], actor=f"user:{setup['colleague'].pk}")
        assert [e.target_id for e in response.context["page_obj"]] == ["inv1"]

    def test_by_api_key_actor(self, client, org, setup):
        response = self.get(client, org, setup["owner"], actor=f"api_key:{setup['api_key'].pk}")
        assert [e.target_id for e in response.context["page_obj"]] == ["inv2"]

    def test_by_system_actor(self, client, org, setup):
        response = self.get(client, org, setup["owner"], actor="system")
        assert shown_actions(response) == ["invoice.overdue"]

    def test_by_target(self, client, org, setup):
        response = self.get(client, org, setup["owner"], target_type="invoice", target_id="inv1")
        assert shown_actions(response) == ["invoice.overdue", "invoice.issued"]

    def test_filter_options_list_what_occurs(self, client, org, setup):
        form = self.get(client, org, setup["owner"]).context["filters"]
        assert [value for value, _ in form.fields["action"].choices] == [
            "",
            "invoice.issued",
            "invoice.overdue",
            "member.invited",
        ]
        actors = dict(form.fields["actor"].choices)
        assert actors["system"] == "system"
        assert actors[f"user:{setup['colleague'].pk}"] == setup["colleague"].email
        assert actors[f"api_key:{setup['api_key'].pk}"] == setup["api_key"].label

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"action": "no.such.action"}, "action"),
            ({"actor": "user:not-a-uuid"}, "actor"),
            ({"target_type": "spaceship"}, "target_type"),
            ({"target_id": "x" * 65}, "target_id"),
        ],
    )
    def test_bad_filter_values_are_field_errors_not_500(self, client, org, setup, params, field):
        response = self.get(client, org, setup["owner"], **params)
        assert field in response.context["filters"].errors
        assert len(response.context["page_obj"].object_list) == 4  # the bad filter is ignored
        assert 'class="errorlist"' in response.content.decode()

    def test_another_organizations_actor_is_not_an_option(self, client, org, setup):
        stranger = UserFactory()
        other = OrganizationFactory()
        record(organization=other, actor=stranger, action="x")
        response = self.get(client, org, setup["owner"], actor=f"user:{stranger.pk}")
        assert "actor" in response.context["filters"].errors


def test_pagination(client, org, owner):
    for n in range(PAGE_SIZE + 3):
        record(organization=org, actor=owner, action=f"test.n{n:03d}")
    client.force_login(owner)

    first = client.get(activity_url(org))
    second = client.get(activity_url(org, page=2))
    beyond = client.get(activity_url(org, page=99))

    assert shown_actions(first)[0] == f"test.n{PAGE_SIZE + 2:03d}"  # newest first
    assert len(shown_actions(first)) == PAGE_SIZE
    assert shown_actions(second) == ["test.n002", "test.n001", "test.n000"]
    assert shown_actions(beyond) == shown_actions(second)  # a page past the end shows the last
    assert 'rel="next"' in first.content.decode()


def test_query_count_does_not_grow_with_entries_or_actors(client, org, owner):
    client.force_login(owner)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(activity_url(org)).status_code == 200
        return len(queries)

    record(organization=org, actor=owner, action="a")
    few = count_queries()
    for n in range(30):
        actor = MembershipFactory(organization=org).user if n % 3 == 0 else make_api_key(org, name=f"k{n}")[0]
        record(organization=org, actor=actor, action=f"test.{n}", target=org, changes={"n": [n, n + 1]})
    assert count_queries() == few


class TestObjectHistory:
    TEMPLATE = Template("{% load audit_history %}{% object_history obj %}")

    def render(self, org, obj, **extra):
        with organization_scope(org):
            return self.TEMPLATE.render(Context({"organization": org, "obj": obj, **extra}))

    def test_shows_only_the_objects_own_entries(self, org, owner):
        colleague_membership = MembershipFactory(organization=org, role=Role.MEMBER)
        record(organization=org, actor=owner, action="member.role_changed", target=colleague_membership)
        record(organization=org, actor=owner, action="organization.updated", target=org)

        html = self.render(org, colleague_membership)

        members = f"/o/{org.slug}/members/"
        assert f'{owner.email} changed the role of <a href="{members}">{colleague_membership.user.email}</a>' in html
        assert "settings" not in html

    def test_empty_history(self, org):
        assert "No recorded changes yet." in self.render(org, org)

    def test_one_query_and_a_link_when_there_is_more(self, org, owner, django_assert_num_queries):
        for n in range(25):
            record(organization=org, actor=owner, action=f"test.{n}", target=org)
        with django_assert_num_queries(1):
            html = self.render(org, org)
        assert html.count("<li>") == 20
        # Actions nobody described still read, from the action's name.
        shown = [n for n in range(25) if f"{owner.email}: test {n} {org.name}" in html]
        assert shown == list(range(5, 25))  # the newest 20
        assert f"?target_type=organization&amp;target_id={org.pk}" in html
