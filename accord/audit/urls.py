"""Audit trail pages."""

from accord.audit import views

app_name = "audit"
urlpatterns = views.urlpatterns
