from django.urls import path

from audit import views

urlpatterns = [
    path("activity/", views.ActivityView.as_view(), name="audit_activity"),
]
