"""``{% load audit_history %}{% object_history invoice %}``: an object's own audit trail on its
page. One query (limited to the newest entries), plus a link to the full filtered log. Each
entry reads as the activity page shows it (``activity_item``)."""

from django import template

from audit import selectors
from audit.presenters import present_activity

register = template.Library()

HISTORY_LIMIT = 20


@register.inclusion_tag("audit/_history.html", takes_context=True)
def object_history(context, obj, limit=HISTORY_LIMIT):
    organization = context.get("organization")
    if organization is None or obj is None:
        return {"entries": [], "organization": None}
    entries = list(selectors.object_history(organization=organization, obj=obj, limit=limit + 1))
    return {
        "entries": entries[:limit],
        "has_more": len(entries) > limit,
        "organization": organization,
        "target_type": obj._meta.model_name,
        "target_id": str(obj.pk),
    }


@register.simple_tag(takes_context=True)
def activity_item(context, entry):
    """``{% activity_item entry as item %}``: the entry as a sentence with its changes."""
    (item,) = present_activity([entry], organization=context.get("organization"))
    return item
