"""Organization pages under ``/o/<org_slug>/`` (the tenancy middleware resolves the org)."""

from django.urls import path

from organizations import views

urlpatterns = [
    path("settings/", views.OrganizationSettingsView.as_view(), name="organization_settings"),
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/leave/", views.member_leave, name="member_leave"),
    path("members/<uuid:membership_id>/role/", views.member_change_role, name="member_change_role"),
    path("members/<uuid:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("invites/new/", views.InviteCreateView.as_view(), name="invite_create"),
    path("invites/<uuid:invite_id>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("api-keys/", views.ApiKeyListView.as_view(), name="api_key_list"),
    path("api-keys/new/", views.ApiKeyCreateView.as_view(), name="api_key_create"),
    path("api-keys/<uuid:api_key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
