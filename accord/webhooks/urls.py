"""Webhook pages under /webhooks/."""

from django.urls import path

from accord.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.webhooks_home, name="home"),
    path("webhooks/new/", views.endpoint_new, name="new"),
    path("webhooks/<int:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path("webhooks/<int:endpoint_id>/test/", views.endpoint_test, name="test"),
    path("webhooks/<int:endpoint_id>/toggle/", views.endpoint_toggle, name="toggle"),
    path("webhooks/deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="retry"),
]
