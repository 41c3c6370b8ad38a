from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/security/", views.security, name="account_security"),
    path("account/logout-everywhere/", views.logout_everywhere, name="account_logout_everywhere"),
]
