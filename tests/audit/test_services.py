from decimal import Decimal

import pytest
from django.db import transaction

from audit.context import RequestContext, bound_request_context, get_request_context, system_context
from audit.models import ActorType, AppendOnlyError, AuditChainHead, AuditEntry
from audit.services import GENESIS_HASH, entry_hash, record
from organizations.tenancy import organization_scope
from tests.organizations.factories import OrganizationFactory, make_api_key

pytestmark = pytest.mark.django_db

WEB_CONTEXT = RequestContext(request_id="req-123", ip="203.0.113.7", user_agent="pytest-browser")


def entries(org):
    with organization_scope(org):
        return list(AuditEntry.objects.filter(organization=org).order_by("sequence"))


def test_user_action_writes_one_entry_with_actor_target_changes_and_context(org, owner):
    with bound_request_context(WEB_CONTEXT):
        returned = record(
            organization=org,
            actor=owner,
            action="organization.updated",
            target=org,
            changes={"name": ["Old", "New"], "amount": [Decimal("1.10"), Decimal("2.00")]},
        )

    [entry] = entries(org)
    assert entry.pk == returned.pk
    assert entry.actor_type == ActorType.USER
    assert entry.actor_user_id == owner.pk
    assert entry.actor_api_key_id is None
    assert entry.actor_label == owner.email
    assert (entry.action, entry.target_type, entry.target_id, entry.target_label) == (
        "organization.updated",
        "organization",
        str(org.pk),
        org.name,
    )
    # Money is kept as exact strings, never floats.
    assert entry.changes == {"name": ["Old", "New"], "amount": ["1.10", "2.00"]}
    assert (entry.ip, entry.user_agent, entry.request_id) == ("203.0.113.7", "pytest-browser", "req-123")
    assert entry.support_access is False


def test_api_key_actor_is_recorded_with_its_label(org):
    api_key, _ = make_api_key(org, name="CI")
    record(organization=org, actor=api_key, action="invoice.issued", target_type="invoice", target_id="x")

    [entry] = entries(org)
    assert entry.actor_type == ActorType.API_KEY
    assert entry.actor_api_key_id == api_key.pk
    assert entry.actor_user_id is None
    assert entry.actor_label == api_key.label


def test_system_context_records_system_actor_with_task_id_and_no_ip(org):
    with bound_request_context(WEB_CONTEXT):
        with system_context(request_id="celery-task-42"):
            record(organization=org, actor=None, action="invoice.overdue")
        # The outer context comes back afterwards.
        assert get_request_context() == WEB_CONTEXT

    [entry] = entries(org)
    assert entry.actor_type == ActorType.SYSTEM
    assert entry.actor_label == "system"
    assert (entry.ip, entry.user_agent, entry.request_id) == (None, "", "celery-task-42")


def test_system_context_without_task_id_gets_a_fresh_request_id(org):
    with system_context() as first, system_context() as second:
        assert first.request_id.startswith("system-")
        assert first.request_id != second.request_id


def test_entries_form_a_chain_and_the_head_follows_it(org, owner):
    for n in range(3):
        record(organization=org, actor=owner, action=f"test.action{n}")

    chain = entries(org)
    assert [e.sequence for e in chain] == [1, 2, 3]
    assert chain[0].prev_hash == GENESIS_HASH
    assert chain[1].prev_hash == chain[0].hash
    assert chain[2].prev_hash == chain[1].hash
    for entry in chain:
        assert entry.hash == entry_hash(entry)  # the stored row hashes to what was recorded
    assert chain[0].created_at <= chain[1].created_at <= chain[2].created_at
    with organization_scope(org):
        head = AuditChainHead.objects.get(organization=org)
    assert (head.length, head.last_hash) == (3, chain[2].hash)


def test_each_organization_has_its_own_chain(org, owner):
    other = OrganizationFactory()
    record(organization=org, actor=owner, action="a")
    record(organization=other, actor=None, action="b")
    record(organization=org, actor=owner, action="c")

    assert [e.sequence for e in entries(org)] == [1, 2]
    [other_entry] = entries(other)
    assert (other_entry.sequence, other_entry.prev_hash) == (1, GENESIS_HASH)


def test_entry_rolls_back_with_the_callers_transaction(org, owner):
    record(organization=org, actor=owner, action="kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        record(organization=org, actor=owner, action="rolled.back")
        raise RuntimeError

    assert [e.action for e in entries(org)] == ["kept"]
    with organization_scope(org):
        assert AuditChainHead.objects.get(organization=org).length == 1


def test_ipv6_is_stored_in_canonical_form_so_the_hash_still_matches(org):
    with bound_request_context(RequestContext(ip="2001:0DB8:0000::0001")):
        record(organization=org, actor=None, action="a")
    [entry] = entries(org)
    assert entry.ip == "2001:db8::1"
    assert entry.hash == entry_hash(entry)


def test_hash_covers_every_recorded_field(org, owner):
    record(organization=org, actor=owner, action="a", changes={"x": [1, 2]})
    [entry] = entries(org)
    original = entry.hash
    for field, value in [
        ("action", "b"),
        ("changes", {"x": [1, 3]}),
        ("actor_label", "someone else"),
        ("ip", "192.0.2.1"),
        ("request_id", "other"),
        ("prev_hash", "f" * 64),
        ("sequence", 2),
        ("support_access", True),
    ]:
        tampered = entries(org)[0]
        setattr(tampered, field, value)
        assert entry_hash(tampered) != original, field


def test_record_query_count(org, owner, django_assert_num_queries):
    record(organization=org, actor=owner, action="first")  # the head exists from here on
    # Lock the head, insert the entry, advance the head: the same three on every database.
    with transaction.atomic(), django_assert_num_queries(3):
        record(organization=org, actor=owner, action="second")


def test_first_entry_of_an_organization_costs_no_more(org, owner, django_assert_num_queries):
    with transaction.atomic(), django_assert_num_queries(3):
        record(organization=org, actor=owner, action="first")
    with organization_scope(org):
        assert AuditChainHead.objects.get(organization=org).length == 1


class TestAppendOnly:
    @pytest.fixture
    def entry(self, org, owner):
        return record(organization=org, actor=owner, action="a")

    def test_saving_an_existing_entry_is_refused(self, entry):
        entry.action = "changed"
        with pytest.raises(AppendOnlyError):
            entry.save()

    def test_deleting_an_entry_is_refused(self, entry):
        with pytest.raises(AppendOnlyError):
            entry.delete()

    def test_queryset_update_is_refused(self, org, entry):
        with organization_scope(org), pytest.raises(AppendOnlyError):
            AuditEntry.objects.filter(pk=entry.pk).update(action="changed")
        assert entries(org)[0].action == "a"

    def test_queryset_delete_is_refused(self, org, entry):
        with organization_scope(org), pytest.raises(AppendOnlyError):
            AuditEntry.objects.filter(pk=entry.pk).delete()
        assert len(entries(org)) == 1

    def test_bulk_writes_are_refused(self, org, entry):
        with organization_scope(org):
            with pytest.raises(AppendOnlyError):
                AuditEntry.objects.bulk_create([AuditEntry(organization=org, sequence=2)])
            with pytest.raises(AppendOnlyError):
                AuditEntry.objects.bulk_update([entry], ["action"])
            with pytest.raises(AppendOnlyError):
                AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"action": "x"})
        assert [e.action for e in entries(org)] == ["a"]


def test_changes_survive_the_database_round_trip_with_the_same_hash(org):
    """Whatever a caller passes, the stored row must hash to what was recorded."""
    from datetime import date
    from uuid import UUID

    changes = {
        "total": [Decimal("10.00"), Decimal("1E+2")],
        "ratio": [1e16, 0.1 + 0.2],
        "due_date": [date(2026, 1, 31), None],
        "customer": [UUID(int=1), "ünïcödé ✓"],
        "nested": [{"b": 1, "a": [1, 2]}, {}],
    }
    record(organization=org, actor=None, action="a", changes=changes)

    [entry] = entries(org)
    assert entry.hash == entry_hash(entry)
    assert entry.changes["total"] == ["10.00", "1E+2"]
    assert entry.changes["ratio"] == ["1e+16", "0.30000000000000004"]
    assert entry.changes["due_date"] == ["2026-01-31", None]


def test_deleting_a_user_or_key_keeps_their_entries_and_the_chain_intact(org):
    from audit.verification import verify_chain
    from organizations.tenancy import all_tenants
    from tests.accounts.factories import UserFactory

    user = UserFactory()
    api_key, _ = make_api_key(org)
    record(organization=org, actor=user, action="a")
    record(organization=org, actor=api_key, action="b")
    user_id, key_id, email = user.pk, api_key.pk, user.email

    user.delete()  # on PostgreSQL a SET NULL here would hit the append-only trigger
    with all_tenants():
        api_key.delete()

    by_user, by_key = entries(org)
    assert (by_user.actor_user_id, by_user.actor_label) == (user_id, email)
    assert by_key.actor_api_key_id == key_id
    with organization_scope(org):
        assert verify_chain(org).ok
