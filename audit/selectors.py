"""Reads of the audit log. Every function takes the organization explicitly (the tenant
scope is the safety net) and needs no joins: actor and target labels are stored on the
entry, so a page of entries is one query however many people or objects it names."""

from audit.models import ActorType, AuditEntry, SecurityEvent

SYSTEM_ACTOR = "system"


def entry_list(*, organization, action="", actor="", target_type="", target_id="", q=""):
    """The organization's entries, newest first, optionally filtered.

    ``actor`` is an ``actor_key()`` value: ``user:<id>``, ``api_key:<id>`` or ``system``.
    ``q`` finds objects by the label the entries carry (an invoice number, a customer name).
    """
    entries = AuditEntry.objects.filter(organization=organization)
    if q:
        entries = entries.filter(target_label__icontains=q)
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(**_actor_filter(actor))
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=target_id)
    return entries.order_by("-sequence")


def object_history(*, organization, obj, limit=None):
    """Entries whose target is ``obj`` (any model), newest first."""
    entries = entry_list(organization=organization, target_type=obj._meta.model_name, target_id=str(obj.pk))
    return entries[:limit] if limit else entries


def actor_key(actor_type, actor_user_id=None, actor_api_key_id=None) -> str:
    """The filter value naming an actor: by id, so it survives a change of email or key name."""
    if actor_type == ActorType.USER:
        return f"user:{actor_user_id}"
    if actor_type == ActorType.API_KEY:
        return f"api_key:{actor_api_key_id}"
    return SYSTEM_ACTOR


def _actor_filter(key):
    actor_type, _, actor_id = key.partition(":")
    if actor_type == ActorType.USER:
        return {"actor_type": ActorType.USER, "actor_user_id": actor_id}
    if actor_type == ActorType.API_KEY:
        return {"actor_type": ActorType.API_KEY, "actor_api_key_id": actor_id}
    return {"actor_type": ActorType.SYSTEM}


def filter_options(*, organization):
    """The values the activity filters offer: what actually occurs in this organization's log.

    Returns ``{"actions": [...], "target_types": [...], "actors": [(key, label), ...]}``, in
    three queries whatever the size of the log.
    """
    entries = AuditEntry.objects.filter(organization=organization)
    actions = list(entries.order_by("action").values_list("action", flat=True).distinct())
    target_types = list(
        entries.exclude(target_type="").order_by("target_type").values_list("target_type", flat=True).distinct()
    )
    actors = {}
    # One option per actor; if a person changed their email, either label names them.
    rows = (
        entries.order_by("actor_type", "actor_user_id", "actor_api_key_id", "actor_label")
        .values("actor_type", "actor_user_id", "actor_api_key_id", "actor_label")
        .distinct()
    )
    for row in rows:
        if row["actor_type"] != ActorType.SYSTEM and not (row["actor_user_id"] or row["actor_api_key_id"]):
            continue  # the user or key was deleted: its entries keep their label but cannot be filtered by id
        actors[actor_key(row["actor_type"], row["actor_user_id"], row["actor_api_key_id"])] = row["actor_label"]
    return {
        "actions": actions,
        "target_types": target_types,
        "actors": sorted(actors.items(), key=lambda item: (item[0] != SYSTEM_ACTOR, item[1].lower())),
    }


def security_events_for_user(*, user, limit=20):
    """A person's own recent sign-in and credential events (for their account security page)."""
    return list(SecurityEvent.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])
