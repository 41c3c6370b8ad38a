from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billora.admin_site import BigTableAdmin, ReadOnlyAdmin, ReadOnlyTabularInline, run_service_for_each
from organizations import services
from organizations.models import ApiKey, IdempotencyKey, Invite, Membership, Organization


def count_per_organization(model):
    """A correlated COUNT for the changelist queryset: one query for the page, not one per row."""
    counted = (
        model._default_manager.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class MembershipInline(ReadOnlyTabularInline):
    model = Membership
    fields = ("user", "role", "joined_at")
    readonly_fields = fields
    verbose_name_plural = "members"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "organization")


class PendingInviteInline(ReadOnlyTabularInline):
    model = Invite
    fields = ("email", "role", "invited_by", "created_at", "expires_at")
    readonly_fields = fields
    verbose_name_plural = "pending invites"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .select_related("invited_by", "organization")
        )


class ApiKeyInline(ReadOnlyTabularInline):
    model = ApiKey
    # The prefix identifies a key; the hash of its secret is never shown.
    fields = ("name", "prefix", "scope", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    verbose_name_plural = "API keys"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by", "organization")


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    """Organizations with their member counts; billing's admin registers a subclass in its place
    that adds the customer and invoice counts (organizations does not know billing's models)."""

    list_display = ("name", "slug", "time_zone", "default_currency", "created_at", "member_count")
    list_filter = ("default_currency", "created_at")
    search_fields = ("name", "slug")
    date_hierarchy = "created_at"
    readonly_fields = ("member_count", "created_at", "updated_at")
    fields = ("name", "slug", "time_zone", "default_currency", "created_at", "updated_at", "member_count")
    inlines = (MembershipInline, PendingInviteInline, ApiKeyInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=count_per_organization(Membership))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "organization", "role", "joined_at")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("user__email", "user__full_name", "organization__name", "organization__slug")
    date_hierarchy = "joined_at"
    raw_id_fields = ("user",)
    fields = ("organization", "user", "role", "joined_at", "created_at", "updated_at")
    readonly_fields = ("organization", "created_at", "updated_at")


class InviteStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Invite.Status.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = {"accepted_at__isnull": True, "revoked_at__isnull": True}
        match self.value():
            case Invite.Status.ACCEPTED:
                return queryset.filter(accepted_at__isnull=False)
            case Invite.Status.REVOKED:
                return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
            case Invite.Status.EXPIRED:
                return queryset.filter(**open_, expires_at__lte=now)
            case Invite.Status.PENDING:
                return queryset.filter(**open_, expires_at__gt=now)
        return queryset


@admin.register(Invite)
class InviteAdmin(ReadOnlyAdmin):
    list_display = ("email", "organization", "role", "status", "invited_by", "created_at", "expires_at")
    list_filter = (InviteStatusFilter, "role", "organization")
    list_select_related = ("organization", "invited_by")
    search_fields = ("email", "organization__name", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("invited_by", "accepted_by")
    # Only the token's hash is stored, and support has no use for it: it stays out.
    fields = (
        "organization",
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    readonly_fields = ("organization", "status", "created_at")

    @admin.display(description="status")
    def status(self, obj):
        return Invite.Status(obj.status).label


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("name", "prefix", "organization", "scope", "created_by", "last_used_at", "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter), "organization")
    list_select_related = ("organization", "created_by")
    search_fields = ("prefix", "name", "organization__name", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("created_by",)
    # Never the secret's hash: the prefix is how people and logs refer to a key.
    fields = (
        "organization",
        "name",
        "prefix",
        "scope",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("organization", "created_at")
    actions = ("revoke_keys",)

    @admin.action(description="Revoke selected API keys", permissions=["support"])
    def revoke_keys(self, request, queryset):
        run_service_for_each(
            self,
            request,
            queryset.filter(revoked_at__isnull=True),
            lambda key: services.api_key_revoke(organization=key.organization, actor=request.user, api_key_id=key.pk),
            verb="revoked",
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(BigTableAdmin):
    list_display = ("key", "api_key", "organization", "state", "response_status", "created_at")
    list_filter = ("state", "organization")
    list_select_related = ("api_key", "organization")
    search_fields = ("key", "api_key__prefix", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("api_key",)
    fields = (
        "organization",
        "api_key",
        "key",
        "fingerprint",
        "state",
        "response_status",
        "response_text",
        "response_content_type",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("organization", "response_text", "created_at", "updated_at")

    @admin.display(description="response body")
    def response_text(self, obj):
        return bytes(obj.response_content or b"").decode("utf-8", errors="replace")
