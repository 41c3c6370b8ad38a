"""Recording audit entries: the one function every service calls.

Each organization's entries form a hash chain: ``hash = sha256(prev_hash + canonical JSON of
the entry)``. Appends are serialised per organization by the row lock on its
``AuditChainHead``, so concurrent writers queue up instead of forking the chain.

Cost per entry (the audit log is on every write path, so it has to be cheap):

3 queries on every database: (1) create-or-lock the head and read it, (2) insert the entry,
(3) advance the head. (A data-modifying CTE would join 2 and 3 on PostgreSQL, but SQLite has
none, and both databases run the same code.) ``record_many`` appends several entries with
the same 3 queries.
"""

import hashlib
import ipaddress
import json
from decimal import Decimal

from django.db import connections, router, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from audit.context import get_request_context
from audit.models import ActorType, AuditChainHead, AuditEntry
from organizations.models import ApiKey
from organizations.tenancy import organization_scope

GENESIS_HASH = "0" * 64


def _actor_fields(actor):
    """``actor`` is a User, an ApiKey, or None for the system (jobs, commands)."""
    if actor is None:
        return {"actor_type": ActorType.SYSTEM, "actor_label": "system"}
    if isinstance(actor, ApiKey):
        return {"actor_type": ActorType.API_KEY, "actor_api_key": actor, "actor_label": actor.label}
    return {"actor_type": ActorType.USER, "actor_user": actor, "actor_label": actor.email}


def _json_default(value):
    # Decimals (money) become exact strings, never floats; dates, UUIDs etc. their str().
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def normalize_changes(changes: dict | None) -> dict:
    """field -> [old, new] with JSON-safe values (money as strings, dates ISO)."""
    if not changes:
        return {}
    return _floats_as_strings(json.loads(json.dumps(changes, default=_json_default)))


def _floats_as_strings(value):
    # PostgreSQL's jsonb rewrites some floats (1e16 comes back as the integer
    # 10000000000000000), which would change the entry's hash on the way back; billing
    # values are Decimals anyway, so a stray float is kept as its exact text.
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {key: _floats_as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_floats_as_strings(item) for item in value]
    return value


def entry_hash(entry: AuditEntry) -> str:
    """The entry's hash from its stored fields and ``prev_hash``; the verifier recomputes it."""
    payload = {
        "organization": str(entry.organization_id),
        "sequence": entry.sequence,
        "created_at": entry.created_at.isoformat(),
        "actor_type": entry.actor_type,
        "actor_user": str(entry.actor_user_id) if entry.actor_user_id else None,
        "actor_api_key": str(entry.actor_api_key_id) if entry.actor_api_key_id else None,
        "actor_label": entry.actor_label,
        "support_access": entry.support_access,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "changes": entry.changes,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((entry.prev_hash + canonical).encode()).hexdigest()


def _entry(*, organization, actor, action, target, changes, target_type, target_id, target_label) -> AuditEntry:
    """The entry as the caller describes it, with the bound request's context; not chained yet."""
    context = get_request_context()
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
    entry = AuditEntry(
        organization_id=organization.pk,
        action=action,
        target_type=target_type[:64],
        target_id=str(target_id)[:64],
        target_label=target_label[:300],
        changes=normalize_changes(changes),
        ip=_normalize_ip(context.ip),
        user_agent=context.user_agent[:500],
        request_id=context.request_id[:128],
        support_access=context.support_access,
        **_actor_fields(actor),
    )
    entry.organization = organization  # avoid a lazy load when the caller reads it
    return entry


def record(
    *,
    organization,
    actor,
    action: str,
    target=None,
    changes: dict | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
) -> AuditEntry:
    """Append one entry to the organization's chain, inside the caller's transaction.

    ``actor`` is a User, an ApiKey or None (system). IP, user agent and request id come from
    the bound request context (see ``audit.context``). The entry is written in the caller's
    transaction: if the caller rolls back, the entry and the chain head roll back with it.
    """
    entry = _entry(
        organization=organization,
        actor=actor,
        action=action,
        target=target,
        changes=changes,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
    )
    return _chain(organization, [entry])[0]


def record_many(*, organization, actor, entries) -> list[AuditEntry]:
    """``record`` for several entries at once (each a dict of ``action``, ``target`` and
    ``changes``), appended in order with the same 3 queries as one entry: for a job that
    writes many entries in one transaction (the reminder run)."""
    built = [
        _entry(
            organization=organization,
            actor=actor,
            action=values["action"],
            target=values.get("target"),
            changes=values.get("changes"),
            target_type=values.get("target_type", ""),
            target_id=values.get("target_id", ""),
            target_label=values.get("target_label", ""),
        )
        for values in entries
    ]
    return _chain(organization, built) if built else []


def _chain(organization, entries: list[AuditEntry]) -> list[AuditEntry]:
    """Link ``entries`` to the end of the organization's chain and write them."""
    using = router.db_for_write(AuditEntry)
    # savepoint=False: inside the caller's transaction a savepoint would only add two
    # queries; a failure here must abort the caller's transaction anyway. The entry belongs to
    # the organization, whichever scope the caller is in (the admin's is all tenants).
    with organization_scope(organization), transaction.atomic(using=using, savepoint=False):
        connection = connections[using]
        with connection.cursor() as cursor:
            length, last_hash, now = _lock_head(cursor, organization.pk)
            # Stamped under the lock, so times never go backwards along the chain (the
            # verifier checks that); PostgreSQL's clock keeps app servers' skew out of it.
            now = now or timezone.now()
            for entry in entries:
                entry.created_at = now
                length += 1
                entry.sequence = length
                entry.prev_hash = last_hash
                entry.hash = last_hash = entry_hash(entry)
            _append(cursor, connection, entries)
    for entry in entries:
        entry._state.adding = False
        entry._state.db = using
    return entries


def _lock_head(cursor, organization_id):
    """Create the organization's chain head if it is missing, lock it, and return
    (length, last hash, database clock or None).

    One upsert does all three, race-free: a concurrent first writer inserts the row, the other
    waits on it and then takes the ``DO UPDATE`` branch. The no-op ``DO UPDATE`` row-locks the
    head like ``SELECT ... FOR UPDATE`` would, and on PostgreSQL READ COMMITTED it acts on (and
    returns) the newest committed version after waiting, so two writers never read the same
    head and the chain cannot fork.
    """
    table = cursor.db.ops.quote_name(AuditChainHead._meta.db_table)
    clock = "clock_timestamp()" if cursor.db.vendor == "postgresql" else "NULL"
    # Only our own table name and a fixed function are formatted in; values are parameters.
    cursor.execute(
        f"INSERT INTO {table} (organization_id, length, last_hash) VALUES (%s, 0, %s) "  # noqa: S608
        f"ON CONFLICT (organization_id) DO UPDATE SET length = {table}.length "
        f"RETURNING length, last_hash, {clock}",
        [_db_uuid(cursor, organization_id), GENESIS_HASH],
    )
    return cursor.fetchone()


def _append(cursor, connection, entries):
    """Insert ``entries`` (one statement) and move the head to the last one (the head is
    locked by ``_lock_head``)."""
    query = InsertQuery(AuditEntry)
    query.insert_values(AuditEntry._meta.concrete_fields, entries)
    ((insert_sql, insert_params),) = query.get_compiler(connection=connection).as_sql()
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    update_sql = f"UPDATE {table} SET length = %s, last_hash = %s WHERE organization_id = %s"  # noqa: S608
    last = entries[-1]
    update_params = [last.sequence, last.hash, _db_uuid(cursor, last.organization_id)]
    # Two statements on every database (SQLite has no data-modifying CTE to join them), so
    # every backend runs the same code and the same number of queries.
    cursor.execute(insert_sql, insert_params)
    cursor.execute(update_sql, update_params)


def _db_uuid(cursor, value):
    # UUIDs are stored natively on PostgreSQL and as 32 hex characters on SQLite.
    return AuditChainHead._meta.pk.get_db_prep_value(value, cursor.db)


def _normalize_ip(value):
    """The canonical text of the address, as the database will give it back (PostgreSQL's
    ``inet`` rewrites IPv6 spellings), so the stored entry hashes the same; None if invalid."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
