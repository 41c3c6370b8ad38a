"""Audit entries as plain dicts: the one representation of ``/api/v1/audit-events/``."""

from django.utils import timezone

from billora.api.formats import timestamp


def audit_event_dict(entry, tz=None) -> dict:
    actor_id = entry.actor_user_id or entry.actor_api_key_id
    return {
        "id": str(entry.pk),
        "action": entry.action,
        "actor": {"type": entry.actor_type, "id": str(actor_id) if actor_id else None, "label": entry.actor_label},
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "changes": entry.changes,
        "ip": None if entry.ip is None else str(entry.ip),
        "request_id": entry.request_id,
        "created_at": timestamp(entry.created_at, tz),
    }


def present_audit_events(entries) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [audit_event_dict(entry, tz) for entry in entries]
