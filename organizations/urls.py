"""Root-level organization pages: creating one, and the invite link (it names no organization)."""

from django.urls import path

from organizations import views

urlpatterns = [
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("invites/<str:token>/", views.invite_accept, name="invite_accept"),
]
