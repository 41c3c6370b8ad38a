from django.urls import path

from billing import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
]
