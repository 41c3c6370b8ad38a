"""``{% load audit_history %}{% object_history invoice %}``: an object's own audit trail on its
page. One query (limited to the newest entries), plus a link to the full filtered log."""

from django import template

from audit import selectors

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


@register.inclusion_tag("audit/_changes.html")
def audit_changes(entry):
    """An entry's changed fields as a readable list: field: old → new."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    rows = []
    for field, values in changes.items():
        if isinstance(values, list | tuple) and len(values) == 2:
            rows.append({"field": field.replace("_", " "), "old": values[0], "new": values[1], "pair": True})
        else:
            rows.append({"field": field.replace("_", " "), "value": values, "pair": False})
    return {"rows": rows}
