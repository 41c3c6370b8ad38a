"""``verify_audit_chain``: an intact chain passes, every kind of tampering is named.

Tampering is done with raw SQL, the way someone with database access would do it (the
application itself refuses). On PostgreSQL the append-only trigger blocks UPDATE/DELETE even
for raw SQL (it has tests of its own), so the tampering here first disables it, as the table's
owner could: the chain must catch what gets past the trigger.
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.models.sql import InsertQuery
from django.db.utils import DatabaseError

from audit.models import AuditChainHead, AuditEntry
from audit.services import entry_hash, record
from audit.verification import verify_chain
from organizations.tenancy import organization_scope
from tests.database_roles import as_table_owner
from tests.organizations.factories import OrganizationFactory


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("verify_audit_chain", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def chain(org):
    with organization_scope(org):
        return list(AuditEntry.objects.filter(organization=org).order_by("sequence"))


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql, params):
    """Raw UPDATE/DELETE behind the application's back, past the PostgreSQL trigger too."""
    if connection.vendor != "postgresql":
        raw(sql, params)
        return
    with as_table_owner():
        raw("SET CONSTRAINTS ALL IMMEDIATE", [])  # ALTER TABLE refuses while FK checks are pending
        raw("ALTER TABLE audit_auditentry DISABLE TRIGGER USER", [])
        try:
            raw(sql, params)
        finally:
            raw("ALTER TABLE audit_auditentry ENABLE TRIGGER USER", [])


def db_id(entry):
    return AuditEntry._meta.pk.get_db_prep_value(entry.pk, connection)


def insert_behind_the_services_back(entry):
    """Insert a row exactly as Django would, without record() (and without the model's guard)."""
    query = InsertQuery(AuditEntry)
    query.insert_values(AuditEntry._meta.concrete_fields, [entry])
    with as_table_owner():
        for sql, params in query.get_compiler(connection=connection).as_sql():
            raw(sql, params)


@pytest.fixture
def org_with_chain(org, owner):
    for n in range(5):
        record(organization=org, actor=owner, action=f"test.step{n}", changes={"n": [n, n + 1]})
    return org


@pytest.mark.django_db
class TestIntactChains:
    def test_intact_chains_exit_zero_with_a_summary(self, org_with_chain):
        empty = OrganizationFactory(slug="zz-empty")
        out, err = run()
        assert f"{org_with_chain.slug}: 5 entries, chain intact" in out
        assert f"{empty.slug}: 0 entries, chain intact" in out
        assert "All 2 audit chains intact (5 entries verified)." in out
        assert err == ""

    def test_one_organization_by_slug(self, org_with_chain):
        OrganizationFactory()
        out, _ = run(org_with_chain.slug)
        assert "All 1 audit chains intact (5 entries verified)." in out

    def test_unknown_slug_is_an_error(self, db):
        with pytest.raises(CommandError, match="No organization with the slug “nope”"):
            run("nope")

    def test_verification_streams_in_chunks(self, org_with_chain):
        # A chunk smaller than the chain exercises the streamed path end to end.
        with organization_scope(org_with_chain):
            report = verify_chain(org_with_chain, chunk_size=2)
        assert (report.ok, report.entries) == (True, 5)


def assert_broken(org, entry_id, sequence, reason):
    with pytest.raises(CommandError) as excinfo:
        run()
    message = str(excinfo.value)
    assert f"organization {org.slug}" in message
    assert f"sequence {sequence}" in message
    assert reason in message
    if entry_id is not None:
        assert str(entry_id) in message
    # The intact organizations still get their summary line; the broken one does not.
    return message


@pytest.mark.django_db
class TestTamperingIsDetected:
    def test_row_altered_with_raw_sql(self, org_with_chain):
        victim = chain(org_with_chain)[2]
        tamper("UPDATE audit_auditentry SET changes = %s WHERE id = %s", ['{"n": [2, 99]}', db_id(victim)])
        assert_broken(org_with_chain, victim.pk, 3, "hash mismatch")

    def test_row_deleted_from_the_middle(self, org_with_chain):
        entries = chain(org_with_chain)
        tamper("DELETE FROM audit_auditentry WHERE id = %s", [db_id(entries[1])])
        assert_broken(org_with_chain, entries[2].pk, 3, "missing sequence")

    def test_newest_row_deleted(self, org_with_chain):
        tamper("DELETE FROM audit_auditentry WHERE id = %s", [db_id(chain(org_with_chain)[-1])])
        message = assert_broken(org_with_chain, None, 5, "missing sequence")
        assert "the chain ends at sequence 4 but its head says 5" in message

    def test_prev_hash_changed(self, org_with_chain):
        victim = chain(org_with_chain)[3]
        tamper("UPDATE audit_auditentry SET prev_hash = %s WHERE id = %s", ["a" * 64, db_id(victim)])
        assert_broken(org_with_chain, victim.pk, 4, "broken link")

    def test_row_rewritten_with_a_recomputed_hash_breaks_the_next_link(self, org_with_chain):
        entries = chain(org_with_chain)
        forged = entries[1]
        forged.action = "test.innocent"
        tamper(
            "UPDATE audit_auditentry SET action = %s, hash = %s WHERE id = %s",
            [forged.action, entry_hash(forged), db_id(forged)],
        )
        assert_broken(org_with_chain, entries[2].pk, 3, "broken link")

    def test_row_inserted_beyond_the_head(self, org_with_chain):
        last = chain(org_with_chain)[-1]
        forged = AuditEntry(
            organization=org_with_chain,
            sequence=6,
            created_at=last.created_at + timedelta(seconds=1),
            actor_type="system",
            actor_label="system",
            action="test.forged",
            prev_hash=last.hash,
        )
        forged.hash = entry_hash(forged)
        insert_behind_the_services_back(forged)
        assert_broken(org_with_chain, forged.pk, 6, "out of order")

    def test_row_inserted_with_an_earlier_time_even_with_the_head_moved(self, org_with_chain):
        # A forger who also moves the head still cannot backdate an entry.
        last = chain(org_with_chain)[-1]
        forged = AuditEntry(
            organization=org_with_chain,
            sequence=6,
            created_at=last.created_at - timedelta(days=3),
            actor_type="system",
            actor_label="system",
            action="test.backdated",
            prev_hash=last.hash,
        )
        forged.hash = entry_hash(forged)
        insert_behind_the_services_back(forged)
        with as_table_owner():
            AuditChainHead.objects.filter(organization=org_with_chain).update(length=6, last_hash=forged.hash)
        assert_broken(org_with_chain, forged.pk, 6, "out of order")

    def test_row_inserted_into_a_gap_left_by_a_skipped_sequence(self, org_with_chain):
        last = chain(org_with_chain)[-1]
        forged = AuditEntry(
            organization=org_with_chain,
            sequence=8,
            created_at=last.created_at + timedelta(seconds=1),
            actor_type="system",
            actor_label="system",
            action="test.skipped",
            prev_hash=last.hash,
        )
        forged.hash = entry_hash(forged)
        insert_behind_the_services_back(forged)
        with as_table_owner():
            AuditChainHead.objects.filter(organization=org_with_chain).update(length=8, last_hash=forged.hash)
        assert_broken(org_with_chain, forged.pk, 8, "missing sequence")

    def test_head_moved_to_a_foreign_hash(self, org_with_chain):
        with as_table_owner():
            AuditChainHead.objects.filter(organization=org_with_chain).update(last_hash="b" * 64)
        assert_broken(org_with_chain, None, 5, "head mismatch")

    def test_only_the_broken_organization_is_reported(self, org_with_chain):
        other = OrganizationFactory()
        record(organization=other, actor=None, action="test.fine")
        tamper("UPDATE audit_auditentry SET action = 'x' WHERE id = %s", [db_id(chain(org_with_chain)[0])])
        out, err = StringIO(), StringIO()
        with pytest.raises(CommandError, match="1 of 2 audit chains broken"):
            call_command("verify_audit_chain", stdout=out, stderr=err)
        assert f"{other.slug}: 1 entries, chain intact" in out.getvalue()
        assert f"{org_with_chain.slug}: BROKEN at sequence 1" in err.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db
class TestPostgresTrigger:
    """The database refuses UPDATE and DELETE even for raw SQL."""

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
            "UPDATE audit_auditentry SET prev_hash = hash WHERE id = %s",
            "DELETE FROM audit_auditentry WHERE id = %s",
        ],
    )
    def test_raw_update_and_delete_are_rejected(self, org_with_chain, sql):
        victim = chain(org_with_chain)[0]
        # In the organization's scope: the row-level security policies let the statement see the row.
        with (
            organization_scope(org_with_chain),
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
        ):
            raw(sql, [victim.pk])
        assert chain(org_with_chain)[0].action == victim.action
        out, _ = run(org_with_chain.slug)
        assert "chain intact" in out

    def test_deleting_an_organization_with_entries_is_rejected(self, org_with_chain):
        scope = organization_scope(org_with_chain)
        with scope, pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw("DELETE FROM audit_auditentry WHERE organization_id = %s", [org_with_chain.pk])
        assert len(chain(org_with_chain)) == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_leave_one_unforked_chain():
    org = OrganizationFactory()
    record(organization=org, actor=None, action="test.genesis")
    writers, per_writer = 20, 3
    start = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            start.wait()  # all threads hit the head lock at once
            for i in range(per_writer):
                with transaction.atomic():
                    record(organization=org, actor=None, action=f"test.writer{n}.{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    entries = chain(org)
    expected = 1 + writers * per_writer
    assert [e.sequence for e in entries] == list(range(1, expected + 1))
    assert len({e.prev_hash for e in entries}) == expected  # no two entries share a parent
    with organization_scope(org):
        report = verify_chain(org)
    assert (report.ok, report.entries) == (True, expected), report.problem
    out, _ = run(org.slug)
    assert f"{org.slug}: {expected} entries, chain intact" in out
