from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from accounts.models import User
from billora.admin_site import ReadOnlyAdmin, ReadOnlyTabularInline, SupportPermissionsMixin
from organizations.models import Membership


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)
        field_classes = {"email": forms.EmailField}


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}


class MembershipOfUserInline(ReadOnlyTabularInline):
    model = Membership
    fk_name = "user"
    fields = ("organization", "role", "joined_at")
    readonly_fields = fields
    verbose_name_plural = "memberships"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "user")


@admin.register(User)
class UserAdmin(SupportPermissionsMixin, DjangoUserAdmin):
    """Email is the login; there is no username. Staff can look, superusers (Django
    permissions) can change accounts; nobody deletes one here: deleting a user would drop their
    memberships (perhaps an organization's last owner) with no audit entry; deactivate instead."""

    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined", "security_events")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined", "security_events")
    list_display = ("email", "full_name", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    inlines = (MembershipOfUserInline,)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="sign-in history")
    def security_events(self, obj):
        url = reverse("admin:audit_securityevent_changelist") + "?" + urlencode({"user__id__exact": obj.pk})
        return format_html('<a href="{}">Logins, failed logins, password and email changes</a>', url)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()


# The two admins other apps register, adjusted: every staff user can look (changes keep
# Django's permissions), and the changelists run a constant number of queries.
admin.site.unregister(EmailAddress)
admin.site.unregister(Group)
admin.site.unregister(Authenticator)


@admin.register(EmailAddress)
class EmailAddressAdmin(SupportPermissionsMixin, AllauthEmailAddressAdmin):
    list_select_related = ("user",)

    @admin.action(description="Mark selected email addresses as verified", permissions=["change"])
    def make_verified(self, request, queryset):
        return super().make_verified(request, queryset)


@admin.register(Group)
class GroupAdmin(SupportPermissionsMixin, DjangoGroupAdmin):
    pass


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    """Who has two-factor authentication and since when. Never the authenticator's data: it
    holds the TOTP key and the recovery codes' seed, which would let staff sign in as the
    person."""

    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    list_select_related = ("user",)
    search_fields = ("user__email",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields
