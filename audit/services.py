"""Recording audit entries: the one function every service calls."""

import hashlib
import json
from decimal import Decimal

from django.db import transaction

from audit.context import get_request_context
from audit.models import ActorType, AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


def _actor_fields(actor):
    """``actor`` is a User, an ApiKey, or None for the system (jobs, commands)."""
    from organizations.models import ApiKey

    if actor is None:
        return {"actor_type": ActorType.SYSTEM, "actor_label": "system"}
    if isinstance(actor, ApiKey):
        return {"actor_type": ActorType.API_KEY, "actor_api_key": actor, "actor_label": actor.label}
    return {"actor_type": ActorType.USER, "actor_user": actor, "actor_label": actor.email}


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def normalize_changes(changes: dict | None) -> dict:
    """field -> [old, new] with JSON-safe values (money as strings, dates ISO)."""
    if not changes:
        return {}
    return json.loads(json.dumps(changes, default=_json_default))


def entry_hash(entry: AuditEntry) -> str:
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
    """Append one entry to the organization's chain, inside the caller's transaction."""
    context = get_request_context()
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
    with transaction.atomic():
        head = _locked_head(organization)
        entry = AuditEntry(
            organization=organization,
            sequence=head.length + 1,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label[:300],
            changes=normalize_changes(changes),
            ip=context.ip,
            user_agent=context.user_agent,
            request_id=context.request_id,
            support_access=context.support_access,
            prev_hash=head.last_hash,
            **_actor_fields(actor),
        )
        entry.hash = entry_hash(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(length=entry.sequence, last_hash=entry.hash)
    return entry


def _locked_head(organization) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(organization=organization).first()
    if head is None:
        AuditChainHead.objects.get_or_create(organization=organization)
        head = AuditChainHead.objects.select_for_update().get(organization=organization)
    return head
