import json

from django.contrib import admin
from django.utils.html import format_html

from audit.models import AuditChainHead, AuditEntry, SecurityEvent
from billora.admin_site import BigTableAdmin, ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(BigTableAdmin):
    """History: read-only for everyone, support included (the model refuses writes anyway)."""

    list_display = (
        "created_at",
        "organization",
        "sequence",
        "action",
        "actor_type",
        "actor_label",
        "support_access",
        "target_type",
        "target_label",
    )
    list_filter = ("organization", "action", "actor_type", "support_access", "created_at")
    list_select_related = ("organization",)
    search_fields = ("action", "actor_label", "target_id", "target_label", "request_id", "organization__slug")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-sequence")
    fields = (
        "organization",
        "sequence",
        "created_at",
        "action",
        "actor_type",
        "actor_user",
        "actor_api_key",
        "actor_label",
        "support_access",
        "target_type",
        "target_id",
        "target_label",
        "changes_pretty",
        "ip",
        "user_agent",
        "request_id",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description="changes")
    def changes_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, indent=2, sort_keys=True, ensure_ascii=False))


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("organization", "length", "last_hash")
    list_select_related = ("organization",)
    search_fields = ("organization__name", "organization__slug")
    fields = ("organization", "length", "last_hash")
    readonly_fields = fields


@admin.register(SecurityEvent)
class SecurityEventAdmin(BigTableAdmin):
    """Sign-in and credential events of people (not of an organization): read-only history."""

    list_display = ("created_at", "event", "email", "user", "ip", "request_id")
    list_filter = ("event", "created_at")
    list_select_related = ("user",)
    search_fields = ("email", "user__email", "ip", "request_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = ("created_at", "event", "user", "email", "detail_pretty", "ip", "user_agent", "request_id")
    readonly_fields = fields

    @admin.display(description="detail")
    def detail_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.detail, indent=2, sort_keys=True, ensure_ascii=False))
